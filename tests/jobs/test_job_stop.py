"""Stopping a running scrape from the jobs page: its work horse is killed, what it stored stays."""

from pathlib import Path

import django_rq
import pytest
from django.urls import reverse
from rq.job import Job

from identities.models import SourceImage
from pipeline.models import JobRun
from tests.factories import make_identity
from tests.jobs.conftest import EXPECTED_IMAGES, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_stop_kills_the_work_horse_and_offers_a_retry(admin_web, worker_process, search_site):
    # Slow photos, so that the job is still downloading when the test acts.
    search_site.image_delay = 0.5
    identity = make_identity("Jane Doe")
    admin_web.post(
        reverse("scrape_start"),
        {"identities": [identity.pk], "per_identity": 100, "provider": "local", "detector": "haar"},
    )
    job_run = JobRun.objects.get()
    photos = SourceImage.objects.filter(identity=identity)
    wait_for(lambda: photos.count() >= 2, message="the first photos to be stored")
    horse = Path(f"/proc/{worker_process.horse_pid()}")

    response = admin_web.post(
        reverse("job_stop", args=[job_run.pk]), {"next": reverse("job_list")}, follow=True
    )

    assert f"Stopped {job_run}" in response.content.decode()
    job_run.refresh_from_db()
    assert (job_run.status, job_run.error) == ("stopped", "Stopped by ada.")
    rq_job = Job.fetch(job_run.rq_job_id, connection=django_rq.get_connection("scrape"))
    wait_for(lambda: rq_job.get_status() == "stopped", message="RQ to stop the job")
    wait_for(lambda: not horse.exists(), message="the work horse to end")
    assert 2 <= photos.count() < EXPECTED_IMAGES
    page = admin_web.get(reverse("job_list")).content.decode()
    assert f'action="{reverse("job_retry", args=[job_run.pk])}" data-action="retry">' in page
