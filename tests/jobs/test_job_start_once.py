"""Starting the same job for the same target twice shows the one already queued or running."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun
from pipeline.services import job_retry
from tests.factories import make_identity

pytestmark = pytest.mark.django_db


def scrape(admin_web, identity):
    return admin_web.post(
        reverse("scrape_start"),
        {"identities": [identity.pk], "per_identity": 10, "provider": "local", "detector": "haar"},
        follow=True,
    )


def test_a_second_start_for_the_same_identity_starts_nothing(
    admin_web, rq_queues, scrape_providers, django_capture_on_commit_callbacks
):
    identity = make_identity("Jane Doe")
    with django_capture_on_commit_callbacks(execute=True):
        first = scrape(admin_web, identity)
        second = scrape(admin_web, identity)

    assert "Started 1 scrape job." in first.content.decode()
    assert "Already being scraped, so not started again: Jane Doe." in second.content.decode()
    job_run = JobRun.objects.get()
    scrape_queue = next(queue for queue in rq_queues if queue.name == "scrape")
    assert scrape_queue.job_ids == [job_run.rq_job_id]


def test_a_retry_while_another_run_is_active_returns_that_run(admin, rq_queues):
    failed = JobRun.objects.create(
        kind="scrape", label="Jane Doe", target_key="identity:1", status=JobRun.Status.FAILED
    )
    running = JobRun.objects.create(
        kind="scrape", label="Jane Doe", target_key="identity:1", status=JobRun.Status.RUNNING
    )

    assert job_retry(job_run=failed, actor=admin) == (running, False)
    assert JobRun.objects.count() == 2
