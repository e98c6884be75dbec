"""RQ's entry point and pipeline's job kinds.

job_run_execute is the one RQ task behind every JobRun. Each kind below is a thin entry
point that loads what its run works on by primary key from the run's parameters and
hands it to a service. The services are imported inside the functions: this module is
imported by PipelineConfig.ready() in every process, and scraping loads Selenium,
importing OpenCV.
"""

from facesite.errors import FacesiteError
from identities.models import Identity
from pipeline.jobs import JobProgress
from pipeline.kinds import job_kind
from pipeline.models import DatasetVersion, JobRun


def job_run_execute(job_run_id: int) -> None:
    """The task behind every JobRun: claim the run (queued -> running), then do its work.

    A run that cannot be claimed was cancelled, or already ran; there is nothing to do.
    """
    from pipeline.services import job_execute

    job_run = JobRun.objects.filter(pk=job_run_id).first()
    if job_run is not None and job_run.claim():
        job_execute(job_run=job_run)


def _subject(model, job_run: JobRun, parameter: str, gone: str):
    """The object a run works on, loaded by the primary key in its parameters; a
    FacesiteError saying `gone` when it was deleted after the run was queued."""
    subject = model.objects.filter(pk=job_run.parameters[parameter]).first()
    if subject is None:
        raise FacesiteError(gone)
    return subject


@job_kind("scrape", label="Scrape", queue="scrape")
def scrape(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.scraping import scrape_job_run

    identity = _subject(Identity, job_run, "identity_id", "The identity to scrape for was deleted.")
    return scrape_job_run(identity=identity, parameters=job_run.parameters, progress=progress)


@job_kind("import", label="Import", queue="process")
def import_upload(*, job_run: JobRun, progress: JobProgress) -> dict:
    """An import works on an uploaded file named in its parameters, not on a row."""
    from pipeline.services import import_job_run

    return import_job_run(job_run=job_run, progress=progress)


@job_kind("recrop", label="Re-crop", queue="process")
def recrop(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.recropping import recrop_job_run

    identity = _subject(Identity, job_run, "identity_id", "The identity to re-crop was deleted.")
    return recrop_job_run(identity=identity, detector_name=job_run.parameters["detector"], progress=progress)


@job_kind("dataset", label="Build dataset", queue="process")
def dataset(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.datasets import dataset_job_run

    version = _subject(
        DatasetVersion, job_run, "dataset_id", "This dataset version was deleted before it was built."
    )
    return dataset_job_run(dataset=version, job_run=job_run, progress=progress)


@job_kind("augment", label="Augment to disk", queue="process")
def augment(*, job_run: JobRun, progress: JobProgress) -> dict:
    from pipeline.augmentation import AugmentationConfig, augment_job_run

    version = _subject(DatasetVersion, job_run, "dataset_id", "This dataset version was deleted.")
    config = AugmentationConfig.from_json(job_run.parameters["config"])
    return augment_job_run(dataset=version, config=config, progress=progress)
