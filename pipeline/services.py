"""Workflows around background jobs: start, stop, cancel, retry, and keeping rows true to RQ."""

import contextlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

import django_rq
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.timeouts import JobTimeoutException

from facesite.errors import FacesiteError
from identities.models import Identity
from identities.services import identity_get_or_create, identity_names_clean
from pipeline.detection import DETECTORS
from pipeline.importer import faces_import
from pipeline.jobs import JobProgress, JobStopped, PrintingProgress, rq_failure_explain, summary_json
from pipeline.kinds import JOB_KINDS, job_kind_get
from pipeline.models import JobRun
from pipeline.providers import search_provider_get

logger = logging.getLogger(__name__)

# A queued run whose RQ job cannot be found is only declared lost after this long: its
# row is committed a moment before its job is enqueued.
LOST_JOB_GRACE = timedelta(minutes=1)
MAX_IMAGES_PER_IDENTITY = 1000
UPLOADS_FOLDER = "uploads"


def job_start(
    *,
    kind: str,
    parameters: dict,
    actor,
    label: str,
    target_key: str = "",
    retry_of: JobRun | None = None,
) -> tuple[JobRun, bool]:
    """Create a run and enqueue its job once the transaction commits.

    A queued or running run of the same kind for the same target is returned instead
    (with False), so two clicks on Start never scrape one person twice at once. A kind no
    app registered is a programming mistake and raises ValueError.
    """
    job_kind_get(kind)
    if target_key:
        running = JobRun.objects.active().filter(kind=kind, target_key=target_key).first()
        if running:
            return running, False
    try:
        with transaction.atomic():
            job_run = JobRun.objects.create(
                kind=kind,
                label=label[:255],
                parameters=parameters,
                target_key=target_key,
                started_by=actor if actor and actor.is_authenticated else None,
                retry_of=retry_of,
            )
            transaction.on_commit(partial(_job_enqueue, job_run))
    except IntegrityError:
        # Another request started the same job between the check above and the insert.
        return JobRun.objects.active().get(kind=kind, target_key=target_key), False
    return job_run, True


def job_start_for(subject, *, kind: str, parameters: dict, actor, label: str = "") -> tuple[JobRun, bool]:
    """job_start for a job about one object: keyed to it, so it runs once at a time, and
    labelled with it unless a label is given."""
    return job_start(
        kind=kind,
        parameters=parameters,
        actor=actor,
        label=label or str(subject),
        target_key=job_target_key(subject),
    )


def job_target_key(subject) -> str:
    """The key of jobs about one object, "<name>:<pk>": the name is the model's
    `job_target_name` (a short name kept from before this helper, "dataset") or else
    its model name ("identity")."""
    name = getattr(subject, "job_target_name", subject._meta.model_name)
    return f"{name}:{subject.pk}"


def _job_enqueue(job_run: JobRun) -> None:
    kind = job_kind_get(job_run.kind)
    queue = django_rq.get_queue(kind.queue)
    try:
        queue.enqueue(
            "pipeline.tasks.job_run_execute",
            job_run.pk,
            job_id=job_run.rq_job_id,
            description=str(job_run),
            job_timeout=kind.effective_timeout,
        )
    except RedisError as error:
        # The row says why in plain words; a traceback per refused connection says no more.
        logger.warning("Could not enqueue job run %s: %s", job_run.pk, error)
        job_run.fail(f"The job could not be queued because Redis did not answer ({error}). Retry it.")


def job_execute(*, job_run: JobRun, progress: JobProgress | None = None) -> dict | None:
    """Run a claimed job's service, record how it ended, and return its summary.

    Errors are recorded on the row in plain words and raised again, so RQ's failed
    registry agrees; a run stopped from the page ends quietly, returning None. A caller
    that runs jobs outside a worker (a command) may pass its own progress reporter.
    """
    progress = progress or JobProgress(job_run)
    kind = job_kind_get(job_run.kind)
    try:
        summary = kind.run(job_run=job_run, progress=progress)
    except JobStopped:
        return None
    except FacesiteError as error:
        job_run.fail(str(error))
        raise
    except JobTimeoutException:
        job_run.fail(rq_failure_explain("JobTimeoutException", queue_timeout=kind.effective_timeout))
        raise
    except Exception as error:
        job_run.fail(f"Unexpected error: {type(error).__name__}: {error}. The worker's log has the details.")
        raise
    progress.write(force=True)
    job_run.finish(summary)
    return summary


def job_run_inline(
    *, kind: str, parameters: dict, label: str, target_key: str = "", on_line
) -> tuple[JobRun, dict]:
    """Run a job in this process rather than on a worker (for commands); its row records it the same.

    Each step and log line also goes to on_line. Raises what the job raises, after the
    job framework has marked the row failed; a run stopped from the jobs page raises
    FacesiteError.
    """
    job_kind_get(kind)
    job_run = JobRun.objects.create(
        kind=kind, label=label[:255], parameters=parameters, target_key=target_key
    )
    job_run.claim()
    # on_line shows each line already; the job framework's log would repeat it on stderr.
    jobs_logger = logging.getLogger("pipeline.jobs")
    level = jobs_logger.level
    jobs_logger.setLevel(logging.WARNING)
    try:
        summary = job_execute(job_run=job_run, progress=PrintingProgress(job_run, on_line))
    except KeyboardInterrupt:
        job_run.fail("Interrupted from the terminal (Ctrl-C).")
        raise
    finally:
        jobs_logger.setLevel(level)
    if summary is None:
        raise FacesiteError(f"{job_run} was stopped from the jobs page.")
    return job_run, summary


def job_cancel(*, job_run: JobRun, actor) -> bool:
    """Cancel a queued run; False if it had already started or ended."""
    if not job_run.cancel(f"Cancelled by {actor}."):
        return False
    # Never enqueued, or a worker took it already: then its claim of the row fails.
    with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
        Job.fetch(job_run.rq_job_id, connection=_redis(job_run)).cancel()
    return True


def job_stop(*, job_run: JobRun, actor) -> bool:
    """Stop a running run: its work horse is killed; what it stored stays."""
    if not job_run.stop(f"Stopped by {actor}."):
        return False
    # If no worker is executing it right now, its next progress write sees the row
    # stopped and ends it.
    with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
        send_stop_job_command(_redis(job_run), job_run.rq_job_id)
    return True


def job_retry(*, job_run: JobRun, actor) -> tuple[JobRun, bool]:
    """Start a failed or stopped run again, as a new run that points back at it.

    A new row (rather than re-enqueueing the old one) keeps each row the mirror of one
    RQ job and keeps the failure on record. Jobs are idempotent, so the new run
    finishes what the old one left and duplicates nothing.
    """
    if not job_run.can_retry:
        raise FacesiteError(f"Only failed or stopped jobs can be retried; this one is {job_run.status}.")
    if job_run.kind not in JOB_KINDS:
        raise FacesiteError(f"No app runs {job_run.kind_label} jobs any more, so this one cannot be retried.")
    return job_start(
        kind=job_run.kind,
        parameters=job_run.parameters,
        actor=actor,
        label=job_run.label,
        target_key=job_run.target_key,
        retry_of=job_run,
    )


def _redis(job_run: JobRun):
    return django_rq.get_connection(job_kind_get(job_run.kind).queue)


def jobs_reconcile() -> int:
    """End the runs whose RQ job ended without them knowing; return how many.

    A work horse killed with SIGKILL cannot write its own row, and neither can one whose
    whole worker died. RQ notices both: the worker moves a killed horse's job to
    failed, and the started-job registry's cleanup does so for a dead worker's job once
    its heartbeat has expired.

    1. Run that cleanup on every job queue (a worker runs it too, but only every few minutes).
    2. Read the RQ status of every queued or running run, in one round trip.
    3. End each run whose RQ job failed, stopped, was cancelled or is gone, with a plain reason.
    """
    queue_names = sorted({kind.queue for kind in JOB_KINDS.values()})
    for name in queue_names:
        StartedJobRegistry(queue=django_rq.get_queue(name)).cleanup()
    active_runs = list(JobRun.objects.active())
    if not active_runs:
        return 0
    connection = django_rq.get_connection(queue_names[0])
    rq_jobs = Job.fetch_many([run.rq_job_id for run in active_runs], connection=connection)
    return sum(_run_reconcile(run, rq_job) for run, rq_job in zip(active_runs, rq_jobs, strict=True))


def _run_reconcile(job_run: JobRun, rq_job: Job | None) -> bool:
    if rq_job is None:
        just_queued = (
            job_run.status == JobRun.Status.QUEUED and timezone.now() - job_run.created_at < LOST_JOB_GRACE
        )
        if just_queued:
            return False
        return job_run.fail("Redis lost this job's record (it was emptied, or restarted without its data).")
    status = rq_job.get_status(refresh=False)
    if status == JobStatus.FAILED:
        result = rq_job.latest_result()
        return job_run.fail(rq_failure_explain(result.exc_string if result else ""))
    if status == JobStatus.STOPPED:
        return job_run.stop("Stopped on request.")
    if status == JobStatus.CANCELED:
        return job_run.cancel("Cancelled in the queue.")
    return False


def redis_eviction_warning() -> str:
    """A warning for the jobs page when Redis could evict RQ's keys, else an empty string."""
    try:
        policy = django_rq.get_connection("default").config_get("maxmemory-policy").get("maxmemory-policy")
    except RedisError:
        # Managed Redis services often refuse CONFIG; nothing to check then.
        return ""
    if policy in (None, "noeviction"):
        return ""
    return (
        f"Redis' maxmemory-policy is {policy}: under memory pressure it may delete queued jobs and their "
        "records. Set it to noeviction (redis.conf: maxmemory-policy noeviction)."
    )


def _detector_check(name: str) -> None:
    # Checked by name: building the detector would load OpenCV into the web process.
    if name not in DETECTORS:
        raise FacesiteError(f"Unknown detector {name!r}; choose one of: {', '.join(sorted(DETECTORS))}.")


def identities_for_names(names: list[str], *, actor) -> list[Identity]:
    """The identity of each name, created when missing; blank lines and repeats are dropped.

    Every name is checked before any identity is created: one bad name raises
    IdentityNamesRefused and creates nothing.
    """
    identities: dict[int, Identity] = {}
    with transaction.atomic():
        for name in identity_names_clean(names):
            identity, _ = identity_get_or_create(name=name, actor=actor)
            identities[identity.pk] = identity
    return list(identities.values())


def scrape_start(
    *,
    identities: list[Identity],
    per_identity: int,
    provider: str,
    query_suffix: str,
    detector: str,
    actor,
) -> list[tuple[JobRun, bool]]:
    """Start one scrape job per identity; an identity already being scraped keeps its job."""
    search_provider_get(provider)
    _detector_check(detector)
    if not 1 <= per_identity <= MAX_IMAGES_PER_IDENTITY:
        raise FacesiteError(f"Images per identity must be between 1 and {MAX_IMAGES_PER_IDENTITY}.")
    started = []
    with transaction.atomic():
        for identity in identities:
            parameters = {
                "identity_id": identity.pk,
                "per_identity": per_identity,
                "provider": provider,
                "query_suffix": query_suffix.strip(),
                "detector": detector,
            }
            started.append(job_start_for(identity, kind="scrape", parameters=parameters, actor=actor))
    return started


def recrop_start(*, identity: Identity, detector: str, actor) -> tuple[JobRun, bool]:
    """Queue a re-crop of an identity's photos with a detector; one already queued or running is returned."""
    _detector_check(detector)
    return job_start_for(
        identity,
        kind="recrop",
        parameters={"identity_id": identity.pk, "detector": detector},
        actor=actor,
        label=f"{identity.name} with {detector}",
    )


def import_upload_start(*, upload: UploadedFile, detector: str, approve: bool, actor) -> JobRun:
    """Keep an uploaded zip in storage (where every worker host can read it) and queue its import."""
    _detector_check(detector)
    stored_name = default_storage.save(f"{UPLOADS_FOLDER}/{uuid.uuid4().hex}.zip", upload)
    parameters = {"upload": stored_name, "filename": upload.name, "detector": detector, "approve": approve}
    job_run, _ = job_start(kind="import", parameters=parameters, actor=actor, label=upload.name)
    return job_run


def import_job_run(*, job_run: JobRun, progress: JobProgress) -> dict:
    """The import job: import the uploaded zip, then delete it.

    The upload stays when the import fails or is stopped, so Retry can run it again.
    """
    stored_name = job_run.parameters["upload"]
    if not default_storage.exists(stored_name):
        raise FacesiteError(
            "The uploaded file is gone: an earlier run of this import finished and removed it."
        )
    progress.step(f"Importing {job_run.parameters['filename']}")
    with _local_path(stored_name) as path:
        summary = faces_import(
            path=path,
            detector_name=job_run.parameters["detector"],
            approve=job_run.parameters["approve"],
            actor=job_run.started_by,
            on_progress=lambda done, total: progress.advance(done, total),
            upload_name=job_run.parameters["filename"],
        )
    default_storage.delete(stored_name)
    progress.log(str(summary))
    return summary_json(summary)


@contextmanager
def _local_path(stored_name: str) -> Iterator[Path]:
    """A path on this machine to a stored file: its own path, or a temporary copy (S3)."""
    try:
        own_path = default_storage.path(stored_name)
    except NotImplementedError:
        own_path = None
    if own_path:
        yield Path(own_path)
        return
    with tempfile.NamedTemporaryFile(suffix=Path(stored_name).suffix) as copy:
        with default_storage.open(stored_name) as stored:
            shutil.copyfileobj(stored, copy)
        copy.flush()
        yield Path(copy.name)
