"""Each app registers its own job kinds; a kind no app registers is refused or shown raw."""

import pytest
from django.urls import reverse
from rq.job import Job
from rq.timeouts import JobTimeoutException

from facesite.errors import FacesiteError
from pipeline.kinds import JOB_KINDS, JobKind
from pipeline.models import JobRun
from pipeline.services import job_execute, job_retry, job_start

pytestmark = pytest.mark.django_db


def sweep_kind(monkeypatch, run=lambda **_: {}, timeout=None) -> None:
    monkeypatch.setitem(
        JOB_KINDS, "sweep", JobKind(name="sweep", label="Sweep", queue="process", run=run, timeout=timeout)
    )


def test_pipeline_and_recognition_register_their_kinds_on_their_queues():
    assert {name: kind.queue for name, kind in JOB_KINDS.items()} == {
        "scrape": "scrape",
        "import": "process",
        "recrop": "process",
        "dataset": "process",
        "augment": "process",
        "train": "train",
        "evaluate": "train",
        "gallery": "process",
        "lookalikes": "process",
        "review_assist": "process",
    }


def test_starting_a_kind_no_app_registers_is_refused(admin):
    with pytest.raises(ValueError, match="No job kind 'sweep' is registered"):
        job_start(kind="sweep", parameters={}, actor=admin, label="everything")

    assert not JobRun.objects.exists()


def test_a_run_of_a_kind_since_removed_shows_its_raw_kind(admin_web):
    job_run = JobRun.objects.create(kind="sweep", label="everything", status=JobRun.Status.FAILED)

    assert f"sweep #{job_run.pk}" in admin_web.get(reverse("job_list")).content.decode()
    assert f"sweep #{job_run.pk}: everything" in admin_web.get(job_run.get_absolute_url()).content.decode()


def test_a_failed_run_of_a_kind_since_removed_cannot_be_retried(admin):
    job_run = JobRun.objects.create(kind="sweep", label="everything", status=JobRun.Status.FAILED)

    with pytest.raises(FacesiteError, match="No app runs sweep jobs any more"):
        job_retry(job_run=job_run, actor=admin)

    assert JobRun.objects.count() == 1


def test_the_jobs_page_filters_by_every_registered_kind(admin_web):
    page = admin_web.get(reverse("job_list")).content.decode()

    assert '<option value="lookalikes">Find lookalike faces</option>' in page
    assert '<option value="scrape">Scrape</option>' in page


def test_a_kind_with_its_own_time_limit_is_queued_with_it(
    admin, rq_queues, monkeypatch, django_capture_on_commit_callbacks
):
    sweep_kind(monkeypatch, timeout=5)
    with django_capture_on_commit_callbacks(execute=True):
        own, _ = job_start(kind="sweep", parameters={}, actor=admin, label="everything")
        queue_default, _ = job_start(kind="import", parameters={}, actor=admin, label="people.zip")

    connection = rq_queues[0].connection
    assert Job.fetch(own.rq_job_id, connection=connection).timeout == 5
    assert Job.fetch(queue_default.rq_job_id, connection=connection).timeout == 3600


def test_a_run_past_its_own_time_limit_names_that_limit(monkeypatch):
    def too_slow(**_):
        raise JobTimeoutException()

    sweep_kind(monkeypatch, run=too_slow, timeout=5)
    job_run = JobRun.objects.create(kind="sweep", label="everything", status=JobRun.Status.RUNNING)

    with pytest.raises(JobTimeoutException):
        job_execute(job_run=job_run)

    job_run.refresh_from_db()
    assert (
        job_run.error
        == "The job ran past its queue's time limit of 5 seconds and was stopped. Retry continues it."
    )
