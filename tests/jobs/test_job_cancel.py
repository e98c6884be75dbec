"""Cancelling a queued job from the jobs page takes it off the queue before any worker runs it."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun
from tests.factories import make_identity
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


def queue_length(rq_queues, name: str) -> int:
    return next(queue for queue in rq_queues if queue.name == name).count


def test_a_cancelled_job_never_runs(admin_web, rq_queues, scrape_providers):
    identity = make_identity("Jane Doe")
    admin_web.post(
        reverse("scrape_start"),
        {"identities": [identity.pk], "per_identity": 10, "provider": "local", "detector": "haar"},
    )
    job_run = JobRun.objects.get()
    assert queue_length(rq_queues, "scrape") == 1

    response = admin_web.post(reverse("job_cancel", args=[job_run.pk]), follow=True)

    assert f"Cancelled {job_run}." in response.content.decode()
    assert queue_length(rq_queues, "scrape") == 0
    burst_work("scrape")
    job_run.refresh_from_db()
    assert (job_run.status, job_run.error, job_run.started_at) == ("cancelled", "Cancelled by ada.", None)


def test_only_a_queued_job_can_be_cancelled(admin_web, rq_queues):
    job_run = JobRun.objects.create(kind="scrape", label="Jane Doe", status=JobRun.Status.FINISHED)

    response = admin_web.post(reverse("job_cancel", args=[job_run.pk]), follow=True)

    assert "is no longer queued, so it cannot be cancelled" in response.content.decode()
    job_run.refresh_from_db()
    assert job_run.status == "finished"
