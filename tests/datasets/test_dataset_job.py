import pytest
from django.urls import reverse

from pipeline.models import DatasetVersion, JobRun
from tests.datasets.builders import build, make_approved
from tests.workers import burst_work

# The job runs in this process after the page's transaction commits, as it would in a worker.
pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_builds_a_dataset_from_the_form_through_the_job(admin_web, rq_queues):
    make_approved("Ann", 8)
    make_approved("Bob", 8)
    dataset = build(min_faces=5, per_identity=8)
    response = admin_web.post(
        reverse("dataset_new"),
        {"name": "second", "min_faces": 5, "per_identity": 8, "split": "70/20/10", "seed": 0},
    )
    new = DatasetVersion.objects.get(name="second")
    assert response.url == reverse("dataset_detail", args=[new.pk])
    assert new.status == DatasetVersion.Status.BUILDING and new.job.kind == "dataset"
    assert "reloads until it is ready" in admin_web.get(response.url).content.decode()

    burst_work("process")
    new.refresh_from_db()
    assert new.status == DatasetVersion.Status.READY
    assert new.job.status == JobRun.Status.FINISHED and new.job.summary["identities"] == 2
    assert new.previous == dataset and new.summary["diff"]["faces_added"] == 0


def test_a_build_whose_job_failed_says_so_and_a_retry_builds_it(admin_web, admin, rq_queues):
    from pipeline.services import job_retry

    make_approved("Ann", 8)
    form = {"name": "", "min_faces": 5, "per_identity": 8, "split": "70/20/10", "seed": 0}
    admin_web.post(reverse("dataset_new"), form)
    dataset = DatasetVersion.objects.get()
    next(queue for queue in rq_queues if queue.name == "process").empty()
    dataset.job.fail("Redis was emptied.")
    page = admin_web.get(reverse("dataset_detail", args=[dataset.pk])).content.decode()
    assert "ended without finishing (Redis was emptied.)" in page and "refresh" not in page

    retry, _ = job_retry(job_run=dataset.job, actor=admin)
    burst_work("process")
    dataset.refresh_from_db()
    assert dataset.status == DatasetVersion.Status.READY and dataset.job == retry
