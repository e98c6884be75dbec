import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from pipeline.kinds import JOB_KINDS, KIND_MAX_LENGTH, job_kind_label


def _rq_job_id() -> str:
    return uuid.uuid4().hex


class JobRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=JobRun.ACTIVE_STATUSES)


class JobRun(models.Model):
    """The database mirror of one RQ job: what it is for, how far it got, how it ended.

    Each row stands for exactly one RQ job (`rq_job_id`); retrying a failed run makes a
    new row that points back at it through `retry_of`, so the failure stays on record.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        STOPPED = "stopped", "Stopped"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    RETRYABLE_STATUSES = (Status.FAILED, Status.STOPPED)

    # A kind registered in pipeline.kinds by the app that owns it; validated by job_start,
    # not by choices, so an app's new kind needs no migration of pipeline.
    kind = models.CharField(max_length=KIND_MAX_LENGTH)
    label = models.CharField(max_length=255, help_text="What the job works on, for lists.")
    parameters = models.JSONField(default=dict)
    # "identity:12" for a job about one identity: while one such job is queued or
    # running, starting the same kind for the same target returns it instead.
    target_key = models.CharField(max_length=100, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    rq_job_id = models.CharField(max_length=64, unique=True, default=_rq_job_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    # None while the job does not yet know how much there is to do.
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    current_step = models.CharField(max_length=255, blank=True)
    log_tail = models.TextField(blank=True)
    # What the job did, as counts (e.g. images stored, failures by kind).
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_key"],
                condition=Q(status__in=["queued", "running"]) & ~Q(target_key=""),
                name="one_active_job_per_target",
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["kind", "status", "created_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind_label} #{self.pk}: {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("job_detail", args=[self.pk])

    @property
    def kind_label(self) -> str:
        """The kind's label from the registry; the raw kind if no app registers it any more."""
        return job_kind_label(self.kind)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    # The page of what a job works on: (parameter holding its id, URL name), in order.
    SUBJECT_PAGES = (
        ("model_version_id", "model_detail"),
        ("dataset_id", "dataset_detail"),
        ("identity_id", "identity_detail"),
    )

    @property
    def subject_url(self) -> str:
        """The page of the dataset, model or identity this run works on, or of its
        results; "" if none."""
        for parameter, url_name in self.SUBJECT_PAGES:
            if isinstance(self.parameters.get(parameter), int):
                return reverse(url_name, args=[self.parameters[parameter]])
        kind = JOB_KINDS.get(self.kind)
        if kind and kind.results_url_name:
            return reverse(kind.results_url_name)
        return ""

    @property
    def can_retry(self) -> bool:
        return self.status in self.RETRYABLE_STATUSES

    @property
    def progress_percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))

    def _conditional_update(self, from_statuses, **fields) -> bool:
        """Write fields only if the row still has one of from_statuses; say whether it did.

        Web requests and workers change the same row; the status in the WHERE clause
        decides which of two racing changes wins, and the loser sees a row count of 0.
        """
        updated = JobRun.objects.filter(pk=self.pk, status__in=from_statuses).update(**fields)
        if updated:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(updated)

    def claim(self) -> bool:
        """Mark a queued run as running; False if it was cancelled or already claimed."""
        return self._conditional_update(
            [self.Status.QUEUED], status=self.Status.RUNNING, started_at=timezone.now()
        )

    def finish(self, summary: dict) -> bool:
        return self._conditional_update(
            [self.Status.RUNNING],
            status=self.Status.FINISHED,
            summary=summary,
            current_step="Done",
            finished_at=timezone.now(),
        )

    def fail(self, reason: str) -> bool:
        return self._end([self.Status.QUEUED, self.Status.RUNNING], self.Status.FAILED, reason)

    def stop(self, reason: str) -> bool:
        return self._end([self.Status.RUNNING], self.Status.STOPPED, reason)

    def cancel(self, reason: str) -> bool:
        return self._end([self.Status.QUEUED], self.Status.CANCELLED, reason)

    def _end(self, from_statuses, status: str, reason: str) -> bool:
        now = timezone.now()
        return self._conditional_update(from_statuses, status=status, error=reason, finished_at=now)

    def progress_save(self, *, done: int, total: int | None, step: str, log_lines, summary: dict) -> bool:
        """Store progress of a running job; False once the run is no longer running."""
        return self._conditional_update(
            [self.Status.RUNNING],
            progress_done=done,
            progress_total=total,
            current_step=step[:255],
            log_tail="\n".join(log_lines),
            summary=summary,
        )

    def summary_rows(self) -> list[tuple[str, object]]:
        """The summary's counts with readable names, for the detail page. Lists (a scan's
        flagged identities, say) are left to the page of the job's results."""
        return [
            (name.replace("_", " ").capitalize(), value)
            for name, value in self.summary.items()
            if not isinstance(value, list)
        ]

    def status_json(self) -> dict:
        """What the jobs page polls for to move its progress bars."""
        return {
            "id": self.pk,
            "status": self.status,
            "status_display": self.get_status_display(),
            "done": self.progress_done,
            "total": self.progress_total,
            "percent": self.progress_percent,
            "step": self.current_step,
            "error": self.error,
            "can_cancel": self.status == self.Status.QUEUED,
            "can_stop": self.status == self.Status.RUNNING,
            "can_retry": self.can_retry,
        }


class DatasetVersion(models.Model):
    """A frozen training set: which approved faces of which identities, in which split.

    Its items are written once, by the build job, and never change; building again makes
    a new version, whose summary says what changed against the one before.
    """

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    # The rules it was built with (minimum faces, faces per identity, split fractions, seed).
    config = models.JSONField(default=dict)
    seed = models.IntegerField(default=0)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    identity_count = models.PositiveIntegerField(default=0)
    face_count = models.PositiveIntegerField(default=0)
    # Counts per split, identities left out with the reason, and the diff against previous.
    summary = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)

    # Jobs about a version are keyed "dataset:<id>" (pipeline.services.job_target_key), as
    # they were before the key was derived from the model.
    job_target_name = "dataset"

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Dataset v{self.pk}" + (f" ({self.name})" if self.name else "")


class DatasetItem(models.Model):
    """One face in a dataset version's manifest, with its class and split.

    The identity's name and the crop's storage name are copied in, so the manifest still
    reads the same after a face or identity is deleted or renamed.
    """

    class Split(models.TextChoices):
        TRAIN = "train", "Train"
        VALIDATION = "validation", "Validation"
        TEST = "test", "Test"

    dataset = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="items")
    face = models.ForeignKey(
        "identities.Face", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity = models.ForeignKey(
        "identities.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity_name = models.CharField(max_length=200)
    # The class index, in the dataset's sorted order of identity names.
    label = models.PositiveIntegerField()
    split = models.CharField(max_length=10, choices=Split.choices)
    file = models.CharField(max_length=255, help_text="Storage name of the crop.")
    # How many times a training image is used to balance its identity (reuse below the
    # per-identity count); always 1 outside the training split.
    repeats = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "face"], name="dataset_item_unique_face")]
        indexes = [
            models.Index(fields=["dataset", "split", "label"]),
            # Deleting an identity asks whether any manifest still names its crop files.
            models.Index(fields=["file"]),
        ]

    def __str__(self) -> str:
        return f"{self.identity_name} ({self.split}) in dataset v{self.dataset_id}"
