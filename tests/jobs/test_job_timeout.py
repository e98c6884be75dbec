"""A job that runs past its queue's time limit is failed with that reason."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun
from tests.factories import make_identity
from tests.workers import burst_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_scrape_over_its_time_limit_fails_plainly(
    admin_web, rq_queues, scrape_providers, search_site, settings
):
    settings.RQ_QUEUES = {
        **settings.RQ_QUEUES,
        "scrape": {**settings.RQ_QUEUES["scrape"], "DEFAULT_TIMEOUT": 2},
    }
    search_site.image_delay = 1.0
    identity = make_identity("Jane Doe")
    admin_web.post(
        reverse("scrape_start"),
        {"identities": [identity.pk], "per_identity": 100, "provider": "local", "detector": "haar"},
    )

    burst_work("scrape")

    job_run = JobRun.objects.get()
    assert job_run.status == "failed"
    assert (
        job_run.error
        == "The job ran past its queue's time limit of 2 seconds and was stopped. Retry continues it."
    )
