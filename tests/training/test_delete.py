import pytest
from django.urls import reverse

from pipeline.models import DatasetVersion
from recognition.models import ModelVersion


@pytest.fixture
def model_with_files(db, settings):
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY)
    model_version = ModelVersion.objects.create(
        dataset=dataset, architecture="small_cnn", status=ModelVersion.Status.READY, artifact_dir="models/1"
    )
    model_version.artifact_dir = f"models/{model_version.pk}"
    model_version.save()
    model_version.artifact_path().mkdir(parents=True)
    (model_version.artifact_path() / "model.keras").write_bytes(b"weights")
    return model_version


def test_deleting_a_model_deletes_its_files(admin_web, model_with_files, django_capture_on_commit_callbacks):
    folder = model_with_files.artifact_path()
    assert admin_web.get(reverse("model_delete", args=[model_with_files.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(reverse("model_delete", args=[model_with_files.pk]))
    assert response.url == reverse("model_list")
    assert not ModelVersion.objects.filter(pk=model_with_files.pk).exists()
    assert not folder.exists()


def test_the_active_model_is_not_deleted(admin_web, model_with_files, django_capture_on_commit_callbacks):
    model_with_files.is_active = True
    model_with_files.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(reverse("model_delete", args=[model_with_files.pk]), follow=True)
    assert "deactivate it or activate another one first" in response.content.decode()
    assert ModelVersion.objects.filter(pk=model_with_files.pk).exists()
    assert (model_with_files.artifact_path() / "model.keras").exists()
