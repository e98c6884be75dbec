from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Lower
from django.urls import reverse


class IdentityQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived=False)

    def ready_for_training(self):
        return self.active().filter(approved_count__gte=settings.FACESITE_MIN_APPROVED_FACES)

    def get_by_name(self, name: str) -> "Identity":
        return self.get(name__iexact=name.strip())


class Identity(models.Model):
    """A person faces are collected for. Names are unique regardless of case."""

    name = models.CharField(max_length=200)
    aliases = models.TextField(blank=True, help_text="Other names, one per line.")
    notes = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Face counts by status, kept by update_face_counts() so lists of thousands of
    # identities sort and page without aggregating every face.
    pending_count = models.PositiveIntegerField(default=0)
    approved_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)

    objects = IdentityQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("name"), name="identity_name_unique_ci")]
        indexes = [
            models.Index(Lower("name"), name="identity_name_lower"),
            models.Index(fields=["archived", "approved_count"]),
            models.Index(fields=["created_at"]),
        ]
        permissions = [
            ("manage_identities", "Can manage identities, start jobs and manage users"),
            ("review_faces", "Can review face crops"),
            ("override_reviews", "Can override review decisions"),
            ("recognize_faces", "Can recognize faces in uploaded photos"),
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("identity_detail", args=[self.pk])

    @property
    def face_count(self) -> int:
        return self.pending_count + self.approved_count + self.rejected_count

    @property
    def is_ready(self) -> bool:
        return self.approved_count >= settings.FACESITE_MIN_APPROVED_FACES

    @property
    def readiness_percent(self) -> int:
        return min(100, round(100 * self.approved_count / settings.FACESITE_TARGET_APPROVED_FACES))

    def alias_list(self) -> list[str]:
        return [alias.strip() for alias in self.aliases.splitlines() if alias.strip()]

    @transaction.atomic(savepoint=False)
    def update_face_counts(self) -> None:
        """Recount this identity's faces by status under a row lock; nothing if it was deleted."""
        if not Identity.objects.select_for_update().filter(pk=self.pk).values_list("pk").first():
            return
        counts = self.faces.aggregate(
            pending=Count("id", filter=Q(status=Face.Status.PENDING)),
            approved=Count("id", filter=Q(status=Face.Status.APPROVED)),
            rejected=Count("id", filter=Q(status=Face.Status.REJECTED)),
        )
        self.pending_count = counts["pending"]
        self.approved_count = counts["approved"]
        self.rejected_count = counts["rejected"]
        self.save(update_fields=["pending_count", "approved_count", "rejected_count"])


class SourceImage(models.Model):
    """An original photo gathered for an identity: where it came from, and what it held.

    The file is stored content-addressed, so the same photo gathered for two
    identities (a group photo) is two rows sharing one file.
    """

    class Origin(models.TextChoices):
        URL = "url", "Downloaded from a URL"
        FILE = "file", "Imported from a file"
        UPLOAD = "upload", "Uploaded in the browser"

    class Status(models.TextChoices):
        FACES = "faces", "Faces found"
        NO_FACE = "no_face", "No face found"
        INVALID = "invalid", "Not a usable image"

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="source_images")
    sha256 = models.CharField(max_length=64)
    file = models.CharField(max_length=255, blank=True, help_text="Storage name; empty if invalid.")
    byte_size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    image_format = models.CharField(max_length=16, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    origin_detail = models.TextField(help_text="The URL, file path or upload name.")
    search_rank = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identity", "sha256"], name="source_image_unique_per_identity")
        ]
        indexes = [models.Index(fields=["sha256"]), models.Index(fields=["identity", "status"])]

    def __str__(self) -> str:
        return f"{self.origin_detail} ({self.get_status_display()})"


class FaceQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Face.Status.PENDING)

    def with_review_rows(self):
        """With what a review page shows of each face: its identity, source photo, and
        assessment with the lookalike (not the assessment's vector)."""
        return self.select_related("identity", "source_image", "assessment__lookalike").defer(
            "assessment__vector"
        )

    def disputed(self):
        """Faces with votes on both sides, decided or not: the conflicts page."""
        return self.filter(approve_votes__gt=0, reject_votes__gt=0)

    def claimable_by(self, reviewer, *, now: datetime, consensus: int, trust: bool = False):
        """Pending faces this reviewer has neither voted on nor holds, needing more votes
        than the other reviewers' active leases will bring.

        A pending face needs `consensus` minus its leading side's votes, and always at
        least one: a tie, or a lead that reaches a consensus lowered since the votes were
        cast, waits for the next vote. With trust, a trusted face (FaceAssessment.trusted)
        needs one vote.
        """
        active_leases = (
            ReviewLease.objects.active(now)
            .filter(face=OuterRef("pk"))
            .order_by()
            .values("face")
            .annotate(total=Count("id"))
            .values("total")
        )
        leading_side = Greatest("approve_votes", "reject_votes")
        face_consensus = Value(consensus)
        if trust:
            # Through the join on the assessment (one row a face, by its primary key), not an
            # EXISTS: PostgreSQL ran that as a hash of every trusted assessment, built again
            # for each search of the pool (70 ms at 200,000 faces).
            trusted = FaceAssessment.trusted_condition("assessment__")
            face_consensus = Case(When(trusted, then=Value(1)), default=Value(consensus))
        votes_needed = Greatest(face_consensus - leading_side, Value(1), output_field=IntegerField())
        return (
            self.pending()
            .exclude(Exists(ReviewVote.objects.filter(face=OuterRef("pk"), reviewer=reviewer)))
            .exclude(Exists(ReviewLease.objects.active(now).filter(face=OuterRef("pk"), reviewer=reviewer)))
            .alias(
                active_leases=Coalesce(Subquery(active_leases), 0, output_field=IntegerField()),
                votes_needed=votes_needed,
            )
            .filter(votes_needed__gt=F("active_leases"))
        )


class Face(models.Model):
    """A face crop from a source image, waiting for or past review.

    Its status comes from its reviewers' votes (tally_votes), from an import with
    --approve, or from an admin's override.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Reason(models.TextChoices):
        WRONG_PERSON = "wrong_person", "Wrong person"
        NOT_A_FACE = "not_a_face", "Not a face"
        POOR_QUALITY = "poor_quality", "Poor quality"
        DUPLICATE = "duplicate", "Duplicate"
        TOO_SMALL = "too_small", "Face too small"

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="faces")
    source_image = models.ForeignKey(SourceImage, on_delete=models.CASCADE, related_name="faces")
    file = models.CharField(max_length=255, help_text="Storage name of the crop.")
    # The detected box in the source image's pixels, after EXIF orientation.
    box_left = models.PositiveIntegerField()
    box_top = models.PositiveIntegerField()
    box_width = models.PositiveIntegerField()
    box_height = models.PositiveIntegerField()
    detector = models.CharField(max_length=32)
    confidence = models.FloatField(null=True, blank=True)
    # 64-bit difference hash of the crop, stored signed to fit a BIGINT.
    phash = models.BigIntegerField()
    # True when the source photo held more than one face: worth a closer look.
    in_group_photo = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The votes by decision, recounted by tally_votes() under the face's row lock, so the
    # queue can tell how many more votes a face needs without counting its votes.
    approve_votes = models.PositiveSmallIntegerField(default=0)
    reject_votes = models.PositiveSmallIntegerField(default=0)

    objects = FaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_image", "detector", "box_left", "box_top", "box_width", "box_height"],
                name="face_unique_box",
            )
        ]
        indexes = [
            models.Index(fields=["identity", "status", "id"]),
            models.Index(fields=["status", "id"]),
            # Few faces are disputed; the conflicts page reads only those index entries.
            models.Index(
                fields=["status", "id"],
                condition=Q(approve_votes__gt=0, reject_votes__gt=0),
                name="face_disputed",
            ),
        ]

    def __str__(self) -> str:
        return f"Face {self.pk} of {self.identity_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("face_history", args=[self.pk])

    @property
    def audit_label(self) -> str:
        """How the audit log names it: by its identity's name (load `identity` with it)."""
        return f"Face {self.pk} of {self.identity.name} ({self.get_status_display().lower()})"

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.box_left, self.box_top, self.box_width, self.box_height)

    @property
    def is_disputed(self) -> bool:
        return self.approve_votes > 0 and self.reject_votes > 0

    def tally_votes(self, consensus: int, now: datetime, votes: list[tuple[str, str]] | None = None) -> bool:
        """Recount this face's votes and decide it once one side has `consensus` votes and the lead.

        Call it with the face's row locked. `votes`, every (decision, reason) in the order
        cast, spares reading them when the caller just did. A rejection takes the reason
        most reject votes gave (the earliest on a tie). Returns True when this call decided
        the face; a decided face keeps its status whatever its votes become.
        """
        if votes is None:
            votes = list(self.votes.order_by("created_at", "id").values_list("decision", "reason"))
        self.approve_votes = sum(1 for decision, _ in votes if decision == Face.Status.APPROVED)
        self.reject_votes = len(votes) - self.approve_votes
        fields = ["approve_votes", "reject_votes"]
        leading = max(self.approve_votes, self.reject_votes)
        decided = (
            self.status == Face.Status.PENDING
            and leading >= consensus
            and self.approve_votes != self.reject_votes
        )
        if decided:
            if self.approve_votes > self.reject_votes:
                self.status, self.reason = Face.Status.APPROVED, ""
            else:
                reasons = Counter(reason for decision, reason in votes if decision == Face.Status.REJECTED)
                self.status, self.reason = Face.Status.REJECTED, reasons.most_common(1)[0][0]
            self.decided_at = now
            fields += ["status", "reason", "decided_at"]
        self.save(update_fields=fields)
        return decided


class FaceAssessment(models.Model):
    """Review assistance's verdict on a pending crop: data only, written by recognition's
    "review_assist" job so the review queue can order and filter by it.

    The crop's embedding is kept here, not in the gallery (FaceEmbedding holds approved
    faces only), so a changed identity core rescores crops without embedding them again,
    and an approved crop's gallery row is a copy of it (recognition.gallery.sync).
    """

    class Band(models.TextChoices):
        LIKELY = "likely", "Likely this person"
        LOOK = "look", "Needs a look"
        OTHER = "other", "Likely another person"
        NOT_FACE = "not_face", "Likely not a face"

    # The order the review page shows bands in: most suspicious first.
    BAND_RANKS = {Band.NOT_FACE: 0, Band.OTHER: 1, Band.LOOK: 2, Band.LIKELY: 3}

    face = models.OneToOneField(Face, on_delete=models.CASCADE, primary_key=True, related_name="assessment")
    embedder = models.CharField(max_length=32)
    vector = models.BinaryField()
    # The crop's storage name when it was embedded: storage is content-addressed, so while
    # it is still the face's, the vector is still the crop's, and the gallery job takes it
    # instead of embedding the crop again once the face is approved.
    crop_file = models.CharField(max_length=255, blank=True)
    band = models.CharField(max_length=8, choices=Band.choices)
    # BAND_RANKS[band], except a blind check's, which is ranked as "needs a look" so its
    # place on the page does not give its band away.
    rank = models.PositiveSmallIntegerField()
    # Cosine similarity to the identity's core; core_source says what the core was made of,
    # and is empty while the crop waits to be scored (just embedded, or its identity's
    # faces changed by a merge or move since).
    core_score = models.FloatField()
    core_source = models.CharField(max_length=8, help_text="approved or cluster")
    # The nearest other identity, and its core's cosine similarity to the crop.
    lookalike = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lookalike_score = models.FloatField(null=True, blank=True)
    # Quality: the box's shorter side (photo pixels), the detector's confidence, sharpness.
    size = models.PositiveIntegerField()
    confidence = models.FloatField(null=True, blank=True)
    sharpness = models.FloatField()
    # Another crop of the same photo and identity is the person: this one is a bystander.
    bystander = models.BooleanField(default=False)
    # A likely-right crop sent through ordinary review with no band shown, to measure the band.
    blind_check = models.BooleanField(default=False)
    # The bars the band was cut with (recognition's AssistBars: core score for "likely",
    # core score under which "another person", another identity's core score at which it
    # claims the crop), shown on the page.
    likely_bar = models.FloatField(default=0.0)
    other_bar = models.FloatField(default=0.0)
    lookalike_bar = models.FloatField(default=0.0)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["band", "blind_check"])]

    def __str__(self) -> str:
        return f"Face {self.face_id}: {self.get_band_display()} ({self.core_score:.2f})"

    @property
    def lookalike_named(self) -> Identity | None:
        """The lookalike the review page names ("looks like X"): only one whose core scores
        at least the 1:1 threshold (other_bar). Under it the crop and that identity are
        judged different people, and naming the nearest of them anyway told reviewers that
        a stranger looked like whoever happened to be closest, at 0.1."""
        if self.lookalike_score is None or self.lookalike_score < self.other_bar:
            return None
        return self.lookalike

    @classmethod
    def trusted_condition(cls, prefix: str = "") -> Q:
        """Likely this person and no blind check: in trust mode, one vote decides the face.
        `prefix` reaches the assessment from another model ("assessment__" from Face)."""
        return Q(**{f"{prefix}band": cls.Band.LIKELY, f"{prefix}blind_check": False})

    @classmethod
    def trusted(cls, face_ref: str = "pk") -> Exists:
        """Whether the face (OuterRef(face_ref)) is trusted (trusted_condition)."""
        return Exists(cls.objects.filter(cls.trusted_condition(), face=OuterRef(face_ref)))

    @property
    def lookalike_margin(self) -> float | None:
        """How much closer the crop is to its own identity's core than to its lookalike's."""
        return None if self.lookalike_score is None else self.core_score - self.lookalike_score

    @property
    def shown_band(self) -> str:
        """The band the review page shows: none for a blind check."""
        return "" if self.blind_check else self.band


class ReviewVote(models.Model):
    """One reviewer's decision on one face."""

    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="votes")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_votes"
    )
    decision = models.CharField(
        max_length=8, choices=[(Face.Status.APPROVED, "Approve"), (Face.Status.REJECTED, "Reject")]
    )
    reason = models.CharField(max_length=16, choices=Face.Reason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["face", "reviewer"], name="one_vote_per_reviewer")]
        indexes = [models.Index(fields=["reviewer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.reviewer_id} {self.decision} face {self.face_id}"


class ReviewLeaseQuerySet(models.QuerySet):
    def active(self, now: datetime):
        return self.filter(expires_at__gt=now)


class ReviewLease(models.Model):
    """A face handed to a reviewer until expires_at.

    While it lasts it stands for a vote to come, so the queue hands the face to no more
    reviewers than the votes it still needs. Once it expires the face returns to the pool.
    """

    face = models.ForeignKey(Face, on_delete=models.CASCADE, related_name="leases")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_leases"
    )
    expires_at = models.DateTimeField()

    objects = ReviewLeaseQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["face", "reviewer"], name="one_lease_per_reviewer")]
        indexes = [models.Index(fields=["reviewer", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.reviewer_id} holds face {self.face_id} until {self.expires_at:%H:%M:%S}"


class AuditEventQuerySet(models.QuerySet):
    def for_target(self, target: models.Model):
        return self.filter(target_type=target._meta.label_lower, target_id=target.pk)


class AuditEvent(models.Model):
    """Who did what to which object, with the state before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.BigIntegerField()
    # The target's name when the event happened, kept after the target is deleted.
    target_label = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"]),
            models.Index(fields=["actor", "created_at"]),
            models.Index(fields=["created_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label}"

    @classmethod
    def record(cls, *, actor, action: str, target: models.Model, before=None, after=None) -> "AuditEvent":
        return cls.objects.create(
            actor=actor if actor and actor.is_authenticated else None,
            action=action,
            target_type=target._meta.label_lower,
            target_id=target.pk,
            target_label=str(target)[:255],
            before=before,
            after=after,
        )
