"""A worker that dies with its job (power loss, SIGKILL) leaves the run failed, not running forever."""

import time

import django_rq
import pytest
from django.urls import reverse
from rq.registry import StartedJobRegistry

from identities.models import SourceImage
from pipeline.models import JobRun
from tests.factories import make_identity
from tests.jobs.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_run_of_a_dead_worker_is_failed_once_rq_gives_up_on_it(admin_web, worker_process, search_site):
    search_site.image_delay = 0.5
    identity = make_identity("Jane Doe")
    admin_web.post(
        reverse("scrape_start"),
        {"identities": [identity.pk], "per_identity": 100, "provider": "local", "detector": "haar"},
    )
    job_run = JobRun.objects.get()
    wait_for(lambda: SourceImage.objects.filter(identity=identity).exists(), message="a first photo")

    worker_process.kill()
    admin_web.get(reverse("job_list"))
    job_run.refresh_from_db()
    assert job_run.status == "running"
    # RQ gives up on a job once its worker's heartbeat is over a minute old; rather than
    # wait, run RQ's cleanup as if that minute had passed.
    StartedJobRegistry(queue=django_rq.get_queue("scrape")).cleanup(timestamp=time.time() + 3600)
    admin_web.get(reverse("job_list"))

    job_run.refresh_from_db()
    assert job_run.status == "failed"
    assert job_run.error.startswith("The worker running this job stopped answering")
