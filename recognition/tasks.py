"""Recognition's job kinds: thin entry points that hand each run to its service.

RecognitionConfig.ready() imports this module in every process, so the services (which
load TensorFlow on first use) are imported inside the functions.
"""

from pipeline.jobs import JobProgress
from pipeline.kinds import job_kind
from pipeline.models import JobRun


@job_kind("train", label="Train model", queue="train")
def train(*, job_run: JobRun, progress: JobProgress) -> dict:
    from recognition.training import train_job_run

    return train_job_run(job_run=job_run, progress=progress)


@job_kind("evaluate", label="Evaluate model", queue="train")
def evaluate(*, job_run: JobRun, progress: JobProgress) -> dict:
    from recognition.evaluation import evaluate_job_run

    return evaluate_job_run(job_run=job_run, progress=progress)


@job_kind("gallery", label="Update gallery", queue="process")
def gallery(*, job_run: JobRun, progress: JobProgress) -> dict:
    from recognition.gallery import gallery_job_run

    return gallery_job_run(job_run=job_run, progress=progress)


@job_kind("lookalikes", label="Find lookalike faces", queue="process", results_url_name="gallery_lookalikes")
def lookalikes(*, job_run: JobRun, progress: JobProgress) -> dict:
    from recognition.lookalikes import lookalikes_job_run

    return lookalikes_job_run(job_run=job_run, progress=progress)
