"""A zip uploaded in the browser is imported by a job on the process queue."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from identities.models import Face, Identity
from pipeline.models import JobRun
from tests.jobs.conftest import media_files
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURE_FACES = Path(__file__).parents[1] / "fixtures" / "celeba" / "7221"


def people_zip() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for photo in sorted(FIXTURE_FACES.glob("*.jpg")):
            archive.write(photo, f"people/Jane_Doe/{photo.name}")
    return SimpleUploadedFile("people.zip", buffer.getvalue(), content_type="application/zip")


def test_an_uploaded_zip_is_imported_and_then_deleted(admin_web, rq_queues, settings):
    response = admin_web.post(reverse("import_upload"), {"archive": people_zip(), "detector": "haar"})

    job_run = JobRun.objects.get()
    assert response.url == job_run.get_absolute_url()
    assert (job_run.kind, job_run.label, job_run.status) == ("import", "people.zip", "queued")
    upload = Path(settings.MEDIA_ROOT) / job_run.parameters["upload"]
    assert upload.exists()

    burst_work("process")

    job_run.refresh_from_db()
    assert job_run.status == "finished", job_run.error
    assert (job_run.summary["images"], job_run.summary["faces"]) == (3, 3)
    assert (job_run.progress_done, job_run.progress_total) == (3, 3)
    identity = Identity.objects.get(name="Jane Doe")
    assert Face.objects.filter(identity=identity, status=Face.Status.PENDING).count() == 3
    assert not upload.exists()
    assert not any(name.startswith("uploads/") for name in media_files(Path(settings.MEDIA_ROOT)))


def test_a_file_that_is_not_a_zip_is_refused_at_once(admin_web, rq_queues):
    not_a_zip = SimpleUploadedFile("people.zip", b"just some text", content_type="application/zip")

    response = admin_web.post(reverse("import_upload"), {"archive": not_a_zip, "detector": "haar"})

    assert "This file is not a zip archive." in response.content.decode()
    assert not JobRun.objects.exists()
