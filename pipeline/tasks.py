"""RQ's entry point and pipeline's job kinds.

job_run_execute is the one RQ task behind every JobRun. Each kind below is a thin entry
point that hands its run to a service, which loads what it works on by primary key from
the run's parameters. The services are imported inside the functions: this module is
imported by PipelineConfig.ready() in every process, and scraping loads Selenium,
importing OpenCV.
"""

from pipeline.jobs import JobProgress
from pipeline.kinds import job_kind
from pipeline.models import JobRun


def job_run_execute(job_run_id: int) -> None:
    """The task behind every JobRun: claim the run (queued -> running), then do its work.

    A run that cannot be claimed was cancelled, or already ran; there is nothing to do.
    """
    from pipeline.services import job_execute

    job_run = JobRun.objects.filter(pk=job_run_id).first()
    if job_run is not None and job_run.claim():
        job_execute(job_run=job_run)


@job_kind("scrape", label="Scrape", queue="scrape")
def scrape(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.scraping import scrape_job_run

    return scrape_job_run(job_run=job_run, progress=progress)


@job_kind("import", label="Import", queue="process")
def import_upload(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.services import import_job_run

    return import_job_run(job_run=job_run, progress=progress)


@job_kind("recrop", label="Re-crop", queue="process")
def recrop(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.recropping import recrop_job_run

    return recrop_job_run(job_run=job_run, progress=progress)


@job_kind("dataset", label="Build dataset", queue="process")
def dataset(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.datasets import dataset_job_run

    return dataset_job_run(job_run=job_run, progress=progress)


@job_kind("augment", label="Augment to disk", queue="process")
def augment(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.augmentation import augment_job_run

    return augment_job_run(job_run=job_run, progress=progress)
