"""Re-cropping an identity's stored photos with another detector is a job on the process queue."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from identities.models import Face, Identity, SourceImage
from pipeline.models import JobRun
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURE_FACES = Path(__file__).parents[1] / "fixtures" / "celeba" / "7221"


@pytest.fixture
def jane(tmp_path) -> Identity:
    """Jane Doe with three photos, cropped by the Haar cascade."""
    shutil.copytree(FIXTURE_FACES, tmp_path / "people" / "Jane_Doe")
    call_command("import_faces", str(tmp_path / "people"), "--detector", "haar", stdout=None)
    return Identity.objects.get(name="Jane Doe")


def recrop(web, identity: Identity, detector: str) -> JobRun:
    web.post(reverse("recrop_start"), {"identity": identity.name, "detector": detector})
    burst_work("process")
    job_run = JobRun.objects.filter(kind="recrop").first()
    assert job_run.status == JobRun.Status.FINISHED, job_run.error
    return job_run


def test_recrop_adds_mtcnn_faces_beside_the_haar_faces(admin_web, rq_queues, jane):
    haar_faces = {face.pk: face.status for face in jane.faces.all()}

    job_run = recrop(admin_web, jane, "mtcnn")

    assert (job_run.progress_done, job_run.progress_total) == (3, 3)
    assert job_run.summary["faces"] == 3
    mtcnn_faces = jane.faces.filter(detector="mtcnn")
    assert sorted(mtcnn_faces.values_list("source_image_id", flat=True)) == sorted(
        jane.source_images.values_list("pk", flat=True)
    )
    # New crops of the same photos are not duplicates of the old ones: they wait for review.
    assert set(mtcnn_faces.values_list("status", flat=True)) == {Face.Status.PENDING}
    assert all(face.confidence >= 0.9 for face in mtcnn_faces)
    assert {face.pk: face.status for face in jane.faces.filter(detector="haar")} == haar_faces
    jane.refresh_from_db()
    assert jane.pending_count == 6


def test_running_the_recrop_again_adds_nothing(admin_web, rq_queues, jane):
    recrop(admin_web, jane, "mtcnn")
    faces_before = set(Face.objects.values_list("pk", flat=True))
    JobRun.objects.all().delete()

    job_run = recrop(admin_web, jane, "mtcnn")

    assert set(Face.objects.values_list("pk", flat=True)) == faces_before
    assert job_run.summary["faces"] == 0


def test_a_photo_without_a_face_gets_the_faces_the_new_detector_finds(admin_web, rq_queues, jane):
    # As if the cascade had missed the face in one photo.
    missed = jane.source_images.first()
    missed.faces.all().delete()
    SourceImage.objects.filter(pk=missed.pk).update(status=SourceImage.Status.NO_FACE, error="No face found.")

    job_run = recrop(admin_web, jane, "mtcnn")

    missed.refresh_from_db()
    assert missed.status == SourceImage.Status.FACES
    assert missed.error == ""
    assert missed.faces.filter(detector="mtcnn").count() == 1
    assert job_run.summary["photos_with_new_faces"] == 1


def test_the_recrop_page_says_other_detectors_faces_stay(admin_web, jane):
    page = admin_web.get(reverse("recrop_start")).content.decode()

    assert "Faces found earlier by other detectors stay as they are" in page
    assert 'value="yunet" selected' in page


def test_an_identity_being_recropped_is_not_recropped_twice_at_once(admin_web, rq_queues, jane):
    admin_web.post(reverse("recrop_start"), {"identity": "Jane Doe", "detector": "mtcnn"})
    admin_web.post(reverse("recrop_start"), {"identity": "Jane Doe", "detector": "mtcnn"})

    assert JobRun.objects.filter(kind="recrop").count() == 1
