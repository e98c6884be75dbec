import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from recognition.architectures.base import Architecture
from recognition.architectures.registry import architecture_choices, architecture_class

# A model whose test top-1 is at most this many times chance (1 / classes) is warned about.
CHANCE_MARGIN = 1.5


class ModelVersionQuerySet(models.QuerySet):
    def active(self):
        """The model recognition uses, if an admin activated one (at most one row)."""
        return self.filter(is_active=True, status=ModelVersion.Status.READY)


class ModelVersion(models.Model):
    """A trained network: how it was trained, on what, how well it did, and its files.

    At most one version is active; recognition uses it. Its files live under
    `artifact_dir` in MEDIA_ROOT and go when the version is deleted.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200, blank=True)
    dataset = models.ForeignKey("pipeline.DatasetVersion", on_delete=models.PROTECT, related_name="models")
    # A name in recognition.architectures.registry.ARCHITECTURES; `adapter` hands out its class.
    architecture = models.CharField(max_length=16, choices=architecture_choices)
    # The training config dataclass as saved next to the checkpoints.
    config = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # [{"identity_id": 12, "name": "Ada Lovelace"}, ...] in output order.
    classes = models.JSONField(default=list, blank=True)
    # One dict per finished epoch: loss, accuracy, val_loss, val_accuracy, seconds, images_per_second.
    history = models.JSONField(default=list, blank=True)
    # Test-split results: top-1/top-5, per identity, confused pairs, unknown rejection rate.
    metrics = models.JSONField(default=dict, blank=True)
    # Below this top softmax score a face is "unknown"; calibrated on the validation split.
    unknown_threshold = models.FloatField(null=True, blank=True)
    artifact_dir = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=False)
    job = models.ForeignKey(
        "pipeline.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)

    objects = ModelVersionQuerySet.as_manager()
    # Jobs about a model (training, evaluation) are keyed "model:<id>".
    job_target_name = "model"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model"
            )
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        label = f"Model #{self.pk} ({self.get_architecture_display()})"
        return f"{label}: {self.name}" if self.name else label

    def get_absolute_url(self) -> str:
        return reverse("model_detail", args=[self.pk])

    @property
    def adapter(self) -> Architecture:
        """What this model's architecture knows: how to build, train, ask and show it."""
        return architecture_class(self.architecture)(self)

    def artifact_path(self) -> Path:
        """The folder of its files; artifact_dir is relative to MEDIA_ROOT, so it survives a move."""
        return Path(settings.MEDIA_ROOT) / self.artifact_dir

    def model_path(self) -> Path:
        """model.keras, which exists only once training has ended."""
        return self.artifact_path() / "model.keras"

    @property
    def can_activate(self) -> bool:
        return self.status == self.Status.READY and not self.is_active

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.TRAINING)

    @property
    def chance_warning(self) -> str:
        """Why this model is no better than guessing, or "" when it is.

        Top-1 within half again of chance (1 in the number of classes), or every test
        face called the same identity: such a model would name strangers at random.
        """
        top1, count = self.metrics.get("top1"), len(self.classes)
        if top1 is None or count < 2:
            return ""
        predicted = [row for row in self.metrics.get("per_identity", []) if row.get("precision") is not None]
        if len(predicted) == 1:
            return (
                f"It calls every test face {predicted[0]['name']}: its top-1 of {top1:.3f} is chance "
                f"for {count} identities."
            )
        if top1 <= CHANCE_MARGIN / count:
            return f"Its top-1 of {top1:.3f} is about chance for {count} identities ({1 / count:.3f})."
        return ""

    @property
    def epochs_text(self) -> str:
        """Epochs trained against the most allowed: "5 of at most 30" while training,
        "stopped early after 5 of at most 30" once training ended before the last."""
        trained, most = len(self.history), self.config.get("epochs")
        if not most:
            return str(trained)
        if self.is_busy or trained >= most:
            return f"{trained} of at most {most}"
        return f"stopped early after {trained} of at most {most}"


class FaceEmbedding(models.Model):
    """A face's embedding from one embedder: the gallery that identification searches.

    Only approved faces have one; the gallery job adds and removes rows as faces are
    decided, merged or deleted. The identity is read through the face, so a merge needs
    no rewrite here.
    """

    face = models.ForeignKey("identities.Face", on_delete=models.CASCADE, related_name="embeddings")
    # Which network produced it, e.g. "facenet" or "model:7".
    embedder = models.CharField(max_length=32)
    # float32 values, L2-normalised, as bytes.
    vector = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["face", "embedder"], name="face_embedding_unique_embedder")
        ]
        indexes = [models.Index(fields=["embedder", "id"])]

    def __str__(self) -> str:
        return f"{self.embedder} embedding of face {self.face_id}"


class ApiToken(models.Model):
    """A per-user key for the JSON API. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The key's first characters, so a user can tell their tokens apart.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RecognitionResultQuerySet(models.QuerySet):
    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())

    def live(self):
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))

    def visible_to(self, user):
        """A user sees their own results; admins see everyone's (to add faces to identities)."""
        if user.has_perm("identities.manage_identities"):
            return self
        return self.filter(user=user)


class RecognitionResult(models.Model):
    """What one recognized photo held: its faces, their boxes and matches.

    Its files (the uploaded photo, each face's chip, rendered figures) live under
    `files_dir` and go with the row. A result lives FACESITE_RESULT_TTL_HOURS unless the
    user asked to keep it (`expires_at` empty); the cleanup deletes expired ones.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recognition_results"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The storage name of the photo as uploaded (format checked by decoding it).
    photo = models.CharField(max_length=255)
    image_format = models.CharField(max_length=16)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveBigIntegerField()
    # One dict per face, largest first: box, detector confidence, gallery and model answers.
    faces = models.JSONField(default=list)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RecognitionResultQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["expires_at"]), models.Index(fields=["user", "created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Recognition {self.pk} ({len(self.faces)} faces)"

    def get_absolute_url(self) -> str:
        return reverse("recognition_result", args=[self.pk])

    @property
    def files_dir(self) -> str:
        return f"recognition/{self.pk}"

    @property
    def is_kept(self) -> bool:
        return self.expires_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
