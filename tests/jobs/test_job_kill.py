"""A work horse SIGKILLed mid-scrape: the run says so, and a retry finishes without duplicates."""

import os
import signal

import django_rq
import pytest
from django.urls import reverse
from rq.job import Job

from identities.models import Face, SourceImage
from pipeline.models import JobRun
from tests.factories import make_identity
from tests.jobs.conftest import EXPECTED_IMAGES, media_files, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def rq_status(job_run: JobRun) -> str:
    return Job.fetch(job_run.rq_job_id, connection=django_rq.get_connection("scrape")).get_status()


def test_a_killed_work_horse_fails_its_run_and_the_retry_duplicates_nothing(
    admin_web, worker_process, search_site, settings
):
    # Slow photos, so that the job is still downloading when the test acts.
    search_site.image_delay = 0.5
    identity = make_identity("Jane Doe")
    admin_web.post(
        reverse("scrape_start"),
        {"identities": [identity.pk], "per_identity": 100, "provider": "local", "detector": "haar"},
    )
    job_run = JobRun.objects.get()
    photos = SourceImage.objects.filter(identity=identity)
    wait_for(lambda: photos.count() >= 3, message="the first photos to be stored")

    os.kill(worker_process.horse_pid(), signal.SIGKILL)
    wait_for(lambda: rq_status(job_run) == "failed", message="RQ to record the failure")
    page = admin_web.get(job_run.get_absolute_url()).content.decode()

    job_run.refresh_from_db()
    assert job_run.status == "failed"
    assert "killed by signal 9 (SIGKILL)" in job_run.error
    assert "killed by signal 9 (SIGKILL)" in page
    stored_before_retry = photos.count()
    assert stored_before_retry < EXPECTED_IMAGES

    search_site.image_delay = 0
    admin_web.post(reverse("job_retry", args=[job_run.pk]))
    retry = JobRun.objects.get(retry_of=job_run)
    wait_for(lambda: not JobRun.objects.get(pk=retry.pk).is_active, message="the retry to end")

    retry.refresh_from_db()
    assert retry.status == "finished", retry.error
    assert retry.summary["already_stored"] == stored_before_retry
    assert photos.filter(status=SourceImage.Status.FACES).count() == EXPECTED_IMAGES
    assert photos.filter(status=SourceImage.Status.INVALID).count() == 1
    assert Face.objects.filter(identity=identity, status=Face.Status.PENDING).count() == EXPECTED_IMAGES
    # A photo stored just before the kill, without its origin and rank, was completed.
    assert not photos.exclude(origin=SourceImage.Origin.URL).exists()
    assert not photos.filter(search_rank=None).exists()
    stored = set(photos.exclude(file="").values_list("file", flat=True))
    stored |= set(Face.objects.values_list("file", flat=True))
    assert media_files(settings.MEDIA_ROOT) == stored
