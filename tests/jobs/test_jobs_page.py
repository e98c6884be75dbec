"""The jobs page: filters, the status the live progress bars poll, and who may see it."""

import django_rq
import pytest
from django.urls import reverse

from pipeline.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def job_runs(rq_queues):
    scrape = JobRun.objects.create(
        kind="scrape",
        label="Jane Doe",
        status=JobRun.Status.FINISHED,
        progress_done=40,
        progress_total=40,
    )
    upload = JobRun.objects.create(kind="import", label="people.zip", status=JobRun.Status.FAILED)
    return scrape, upload


def test_jobs_are_filtered_by_kind_and_status(admin_web, job_runs):
    scrape, upload = job_runs

    by_kind = admin_web.get(reverse("job_list"), {"kind": "import"}).context["page"]
    by_status = admin_web.get(reverse("job_list"), {"status": "finished"}).context["page"]
    unknown = admin_web.get(reverse("job_list"), {"status": "nonsense"}).context["page"]

    assert list(by_kind) == [upload]
    assert list(by_status) == [scrape]
    assert set(unknown) == {scrape, upload}


def test_the_status_endpoint_reports_progress_and_allowed_actions(admin_web, job_runs):
    scrape, upload = job_runs

    response = admin_web.get(reverse("job_status"), {"id": [scrape.pk, upload.pk, "x"]})

    jobs = {job["id"]: job for job in response.json()["jobs"]}
    assert jobs[scrape.pk]["percent"] == 100
    assert (jobs[scrape.pk]["done"], jobs[scrape.pk]["total"]) == (40, 40)
    assert jobs[upload.pk]["can_retry"] and not jobs[upload.pk]["can_stop"]
    assert "log_tail" not in jobs[scrape.pk]


@pytest.mark.parametrize("url_name", ["job_list", "job_status", "scrape_start", "import_upload"])
def test_only_admins_see_jobs(reviewer_web, url_name):
    assert reviewer_web.get(reverse(url_name)).status_code == 403


def test_a_redis_that_may_evict_keys_is_warned_about(admin_web, rq_queues):
    connection = django_rq.get_connection("default")
    policy = connection.config_get("maxmemory-policy")["maxmemory-policy"]
    connection.config_set("maxmemory-policy", "allkeys-lru")
    try:
        page = admin_web.get(reverse("job_list")).content.decode()
    finally:
        connection.config_set("maxmemory-policy", policy)

    assert "maxmemory-policy is allkeys-lru" in page
    assert "maxmemory-policy" not in admin_web.get(reverse("job_list")).content.decode()


@pytest.mark.parametrize(
    ("kind", "parameters", "expected"),
    [
        ("train", {"model_version_id": 7}, "/models/7/"),
        ("dataset", {"dataset_id": 3}, "/datasets/3/"),
        ("augment", {"dataset_id": 3, "config": {}}, "/datasets/3/"),
        ("recrop", {"identity_id": 12, "detector": "mtcnn"}, "/identities/12/"),
    ],
)
def test_a_job_page_links_to_what_the_job_works_on(admin_web, kind, parameters, expected):
    job_run = JobRun.objects.create(kind=kind, label="the subject", parameters=parameters)

    page = admin_web.get(job_run.get_absolute_url()).content.decode()

    assert f'<a href="{expected}">the subject</a>' in page


def test_a_job_about_nothing_in_particular_has_no_subject_link(admin_web):
    job_run = JobRun.objects.create(kind="gallery", label="Gallery embeddings", parameters={})

    assert "Works on" not in admin_web.get(job_run.get_absolute_url()).content.decode()
