"""A job of any kind can run in this process (for commands), recorded like a worker's run."""

import pytest

from pipeline.kinds import JOB_KINDS, JobKind
from pipeline.models import JobRun
from pipeline.services import job_run_inline

pytestmark = pytest.mark.django_db


def sweep(*, job_run, progress) -> dict:
    progress.step("Sweeping")
    progress.log(f"Swept {job_run.parameters['rooms']} rooms")
    return {"rooms": job_run.parameters["rooms"]}


def test_an_inline_run_prints_its_lines_and_records_its_summary(monkeypatch):
    monkeypatch.setitem(JOB_KINDS, "sweep", JobKind(name="sweep", label="Sweep", queue="process", run=sweep))
    lines = []

    job_run, summary = job_run_inline(
        kind="sweep", parameters={"rooms": 3}, label="the house", target_key="house:1", on_line=lines.append
    )

    job_run.refresh_from_db()
    assert lines == ["Sweeping", "Swept 3 rooms"]
    assert summary == job_run.summary == {"rooms": 3}
    assert (job_run.status, job_run.label, job_run.target_key) == (
        JobRun.Status.FINISHED,
        "the house",
        "house:1",
    )


def test_an_inline_run_of_an_unregistered_kind_is_refused():
    with pytest.raises(ValueError, match="No job kind 'sweep' is registered"):
        job_run_inline(kind="sweep", parameters={}, label="the house", on_line=print)

    assert not JobRun.objects.exists()
