"""Recognition's job kinds: thin entry points that load their object by primary key and
hand it to a service. RecognitionConfig.ready() imports this module in every process to
register them; the services load TensorFlow only when they run."""

from pipeline.jobs import JobProgress
from pipeline.kinds import job_kind
from pipeline.models import JobRun
from recognition.gallery.lookalikes import gallery_lookalikes_scan
from recognition.gallery.sync import gallery_sync
from recognition.models import ModelVersion
from recognition.services.evaluation import model_version_reevaluate
from recognition.services.review_assist import review_assist_run
from recognition.services.training import model_version_train


def _model_version(job_run: JobRun) -> ModelVersion:
    return ModelVersion.objects.select_related("dataset").get(pk=job_run.parameters["model_version_id"])


@job_kind("train", label="Train model", queue="train")
def train(*, job_run: JobRun, progress: JobProgress) -> dict:
    return model_version_train(model_version=_model_version(job_run), job_run=job_run, progress=progress)


@job_kind("evaluate", label="Evaluate model", queue="train")
def evaluate(*, job_run: JobRun, progress: JobProgress) -> dict:
    return model_version_reevaluate(model_version=_model_version(job_run), progress=progress)


@job_kind("gallery", label="Update gallery", queue="process", automatic=True)
def gallery(*, job_run: JobRun, progress: JobProgress) -> dict:
    return gallery_sync(progress=progress)


@job_kind("lookalikes", label="Find lookalike faces", queue="process", results_url_name="gallery_lookalikes")
def lookalikes(*, job_run: JobRun, progress: JobProgress) -> dict:
    return gallery_lookalikes_scan(progress=progress)


@job_kind("review_assist", label="Score pending crops", queue="process", automatic=True)
def review_assist(*, job_run: JobRun, progress: JobProgress) -> dict:
    return review_assist_run(progress=progress)
