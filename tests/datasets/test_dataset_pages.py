import pytest
from django.urls import reverse

from pipeline.models import DatasetVersion
from tests.datasets.builders import build, make_approved


@pytest.fixture
def dataset(db):
    make_approved("Ann", 8)
    make_approved("Bob", 8)
    make_approved("Short", 2)
    return build(min_faces=5, per_identity=8)


PAGES = [
    "dataset_list",
    "dataset_new",
    "dataset_detail",
    "dataset_delete",
    "dataset_download",
    "augment_preview",
]


def _url(name: str, dataset: DatasetVersion) -> str:
    return reverse(name) if name in ("dataset_list", "dataset_new") else reverse(name, args=[dataset.pk])


@pytest.mark.parametrize("name", PAGES)
def test_reviewers_and_uploaders_get_403(client, reviewer, uploader, dataset, name):
    for user in (reviewer, uploader):
        client.force_login(user)
        assert client.get(_url(name, dataset)).status_code == 403


def test_bad_rules_show_the_form_again(admin_web, db):
    response = admin_web.post(
        reverse("dataset_new"), {"min_faces": 30, "per_identity": 50, "split": "50/50/0", "seed": 0}
    )
    assert response.status_code == 200
    assert "at least 1" in response.content.decode()
    assert not DatasetVersion.objects.exists()


def test_list_and_detail_show_counts_samples_and_what_was_left_out(admin_web, dataset):
    listing = admin_web.get(reverse("dataset_list")).content.decode()
    assert f'href="{reverse("dataset_detail", args=[dataset.pk])}"' in listing
    detail = admin_web.get(reverse("dataset_detail", args=[dataset.pk]))
    page = detail.content.decode()
    assert "Short" in page and "2 approved faces, needs 5" in page
    assert len(detail.context["samples"]) == 16
    assert [row["name"] for row in detail.context["page"]] == ["Ann", "Bob"]
    item = dataset.items.first()
    image = admin_web.get(reverse("dataset_item_image", args=[dataset.pk, item.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_delete_removes_the_version(admin_web, dataset):
    response = admin_web.post(reverse("dataset_delete", args=[dataset.pk]))
    assert response.url == reverse("dataset_list")
    assert not DatasetVersion.objects.exists()


def test_nav_shows_datasets_to_admins_only(client, admin, reviewer):
    link = f'href="{reverse("dataset_list")}"'
    client.force_login(admin)
    assert link in client.get(reverse("overview")).content.decode()
    client.force_login(reviewer)
    assert link not in client.get(reverse("overview")).content.decode()


def test_a_version_a_model_was_trained_on_cannot_be_deleted(admin_web, dataset):
    from recognition.models import ModelVersion

    model = ModelVersion.objects.create(dataset=dataset, architecture="small_cnn")
    response = admin_web.post(reverse("dataset_delete", args=[dataset.pk]), follow=True)
    assert f"cannot be deleted: models were trained on it ({model})" in response.content.decode()
    assert DatasetVersion.objects.filter(pk=dataset.pk).exists()
    assert dataset.items.count() == 16


def test_a_failed_version_shows_why(admin_web, db):
    from django.core.management import CommandError

    make_approved("Short", 3)
    with pytest.raises(CommandError):
        build(min_faces=5)
    failed = DatasetVersion.objects.get()
    page = admin_web.get(reverse("dataset_detail", args=[failed.pk])).content.decode()
    assert "The build failed: No identity has 5 or more approved faces" in page
    assert reverse("dataset_download", args=[failed.pk]) not in page
    response = admin_web.get(reverse("dataset_download", args=[failed.pk]), follow=True)
    assert "only a ready version can be exported" in response.content.decode()
