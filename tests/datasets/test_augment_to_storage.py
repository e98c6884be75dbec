import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from pipeline.datasets import augmented_folder
from pipeline.models import JobRun
from tests.datasets.builders import build, make_approved
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS = {"rotation": 10, "scale": 0.1, "brightness": 0.2, "crop": 0.1, "horizontal_flip": "True"}


def _written(dataset_id: int) -> dict[str, list[str]]:
    """The augmented files of a dataset, by identity folder."""
    folder = augmented_folder(dataset_id)
    if not default_storage.exists(folder):
        return {}
    identity_folders, _ = default_storage.listdir(folder)
    written = {name: sorted(default_storage.listdir(f"{folder}/{name}")[1]) for name in identity_folders}
    return {name: files for name, files in written.items() if files}


def test_the_job_writes_the_target_per_identity_and_a_rerun_skips_them(admin_web, rq_queues, settings):
    settings.FACESITE_CROP_SIZE = 48
    make_approved("Ann", 5)
    make_approved("Bob", 10)
    dataset = build(min_faces=5, per_identity=10)
    response = admin_web.post(
        reverse("augment_start", args=[dataset.pk]), {**SETTINGS, "target_per_identity": 6}
    )
    job_run = JobRun.objects.get(kind="augment")
    assert response.url == job_run.get_absolute_url()
    burst_work("process")
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FINISHED, job_run.error
    assert job_run.summary == {"identities": 2, "images": 12, "written": 12, "already_there": 0}
    written = _written(dataset.pk)
    assert written == {
        "Ann": [f"{index:05d}.jpg" for index in range(6)],
        "Bob": [f"{index:05d}.jpg" for index in range(6)],
    }
    with default_storage.open(f"{augmented_folder(dataset.pk)}/Ann/00000.jpg") as handle:
        assert Image.open(handle).size == (48, 48)

    default_storage.delete(f"{augmented_folder(dataset.pk)}/Bob/00003.jpg")
    admin_web.post(reverse("augment_start", args=[dataset.pk]), {**SETTINGS, "target_per_identity": 6})
    burst_work("process")
    rerun = JobRun.objects.filter(kind="augment").order_by("-pk").first()
    assert rerun.summary == {"identities": 2, "images": 12, "written": 1, "already_there": 11}

    admin_web.post(reverse("dataset_delete", args=[dataset.pk]))
    assert _written(dataset.pk) == {}
