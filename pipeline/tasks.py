"""RQ entry points: each loads its row by primary key and hands it to a service."""

from pipeline.models import JobRun
from pipeline.services import job_execute


def job_run_execute(job_run_id: int) -> None:
    """The task behind every JobRun: claim the run (queued -> running), then do its work.

    A run that cannot be claimed was cancelled, or already ran; there is nothing to do.
    """
    job_run = JobRun.objects.filter(pk=job_run_id).first()
    if job_run is not None and job_run.claim():
        job_execute(job_run=job_run)
