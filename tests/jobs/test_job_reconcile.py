"""Runs whose RQ job ended behind their back are put right when the jobs page loads."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun

pytestmark = pytest.mark.django_db


def test_a_running_job_whose_record_redis_lost_is_failed_plainly(admin_web, rq_queues):
    job_run = JobRun.objects.create(kind="scrape", label="Jane Doe", status=JobRun.Status.RUNNING)

    page = admin_web.get(reverse("job_list")).content.decode()

    job_run.refresh_from_db()
    assert job_run.status == "failed"
    assert job_run.error == "Redis lost this job's record (it was emptied, or restarted without its data)."
    assert "Redis lost this job" in page


def test_a_job_queued_a_moment_ago_is_left_alone(admin_web, rq_queues):
    # Its row is committed just before its job is enqueued; that is not a lost job.
    job_run = JobRun.objects.create(kind="scrape", label="Jane Doe")

    admin_web.get(reverse("job_list"))

    job_run.refresh_from_db()
    assert job_run.status == "queued"
