"""Review assistance's job: embed pending crops, score them against their identity's core,
band them, and (in trust mode) reject the crops that are likely not a face.

Runs as the "review_assist" job (recognition/tasks.py), queued after imports, scrapes,
decisions, merges and moves (recognition.gallery.sync.faces_changed_receiver); never
while a request waits. The verdicts go to identities' FaceAssessment, which the review
queue reads; the crops' embeddings stay there too, out of the approved gallery.
"""

import logging

import numpy as np
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from identities.models import Face, FaceAssessment
from identities.review_services import review_auto_reject
from pipeline.quality import face_sharpness
from recognition.gallery.assist import (
    BAND_LIKELY,
    BAND_NOT_FACE,
    CORE_MIN_APPROVED,
    AssistBars,
    crops_assess,
    is_blind_check,
)
from recognition.gallery.cache import EMBEDDER, gallery_matrix
from recognition.gallery.sync import crop_read
from recognition.gallery.thresholds import impostor_model, verification_threshold

logger = logging.getLogger(__name__)

# Crops embedded per batch: one storage read and one network run each.
ASSIST_BATCH = 64


def review_assist_bars(*, compared: int) -> AssistBars:
    """The bands' bars for crops compared with this many other identities' cores, from
    FaceNet's impostor model, FACESITE_OPEN_SET_FAR and its 1:1 threshold (AssistBars.derive)."""
    return AssistBars.derive(
        impostor_model(EMBEDDER),
        verification=verification_threshold(),
        far=settings.FACESITE_OPEN_SET_FAR,
        compared=compared,
    )


def _crop_sharpness(crop: np.ndarray) -> float:
    """Sharpness of the face inside a stored crop: its middle, without the crop's margin."""
    side = crop.shape[0]
    inset = round(side * settings.FACESITE_CROP_MARGIN / (1 + 2 * settings.FACESITE_CROP_MARGIN))
    return face_sharpness(crop[inset : side - inset, inset : side - inset])


def crops_embed(faces: list[Face], embedder, now) -> list[int]:
    """Embed a batch of pending crops and store each with its quality and a provisional
    "needs a look" band; returns the ids of unreadable crops."""
    crops = {face.pk: crop_read(face) for face in faces}
    readable = [face for face in faces if crops[face.pk] is not None]
    vectors = embedder.embed_crops([crops[face.pk] for face in readable], readable)
    rows = [
        FaceAssessment(
            face=face,
            embedder=embedder.name,
            vector=vector.astype(np.float32).tobytes(),
            crop_file=face.file,
            band=FaceAssessment.Band.LOOK,
            rank=FaceAssessment.BAND_RANKS[FaceAssessment.Band.LOOK],
            core_score=0.0,
            core_source="",
            size=min(face.box_width, face.box_height),
            confidence=face.confidence,
            sharpness=_crop_sharpness(crops[face.pk]),
            computed_at=now,
        )
        for face, vector in zip(readable, vectors, strict=True)
    ]
    FaceAssessment.objects.bulk_create(rows, ignore_conflicts=True)
    return [face.pk for face in faces if crops[face.pk] is None]


def _approved_cores() -> tuple[dict[int, np.ndarray], dict[int, int]]:
    """The approved gallery's core of each identity, and how many faces made it."""
    matrix = gallery_matrix(EMBEDDER)
    if not len(matrix.vectors):
        return {}, {}
    identity_ids = [int(identity_id) for identity_id in matrix.group_identity_ids]
    return dict(zip(identity_ids, matrix.cores, strict=True)), dict(
        zip(identity_ids, matrix.group_sizes, strict=True)
    )


def identities_assess(identity_ids: set[int], *, now) -> int:
    """Score and band every assessed pending crop of these identities; returns how many."""
    rows = list(
        FaceAssessment.objects.filter(face__identity_id__in=identity_ids, face__status=Face.Status.PENDING)
        .select_related("face")
        .order_by("face_id")
    )
    if not rows:
        return 0
    approved_cores, approved_counts = _approved_cores()
    # Each crop is compared with every core but its own: the scored identities' and the gallery's.
    cored = {row.face.identity_id for row in rows} | set(approved_cores)
    bars = review_assist_bars(compared=len(cored) - 1)
    # Its approved faces are an identity's core once there are CORE_MIN_APPROVED of them;
    # any identity's approved faces can be what a crop looks like.
    own_cores = {
        identity_id: core
        for identity_id, core in approved_cores.items()
        if identity_id in identity_ids and approved_counts[identity_id] >= CORE_MIN_APPROVED
    }
    assessment = crops_assess(
        vectors=np.stack([np.frombuffer(bytes(row.vector), dtype=np.float32) for row in rows]),
        identity_ids=np.array([row.face.identity_id for row in rows]),
        photo_ids=np.array([row.face.source_image_id for row in rows]),
        sizes=np.array([row.size for row in rows]),
        confidences=np.array([np.nan if row.confidence is None else row.confidence for row in rows]),
        sharpness=np.array([row.sharpness for row in rows]),
        bars=bars,
        approved_cores=own_cores,
        other_cores=approved_cores,
    )
    for index, row in enumerate(rows):
        row.likely_bar, row.other_bar, row.lookalike_bar = bars.likely, bars.other, bars.lookalike
        row.band = str(assessment.bands[index])
        row.blind_check = row.band == BAND_LIKELY and is_blind_check(row.face_id)
        row.rank = FaceAssessment.BAND_RANKS[FaceAssessment.Band.LOOK if row.blind_check else row.band]
        row.core_score = float(assessment.core_scores[index])
        row.core_source = str(assessment.core_sources[index])
        lookalike_id = int(assessment.lookalike_ids[index])
        row.lookalike_id = lookalike_id if lookalike_id >= 0 else None
        row.lookalike_score = None if lookalike_id < 0 else float(assessment.lookalike_scores[index])
        row.bystander = bool(assessment.bystanders[index])
        row.computed_at = now
    fields = ["band", "blind_check", "rank", "core_score", "core_source", "lookalike", "lookalike_score"]
    fields += ["bystander", "likely_bar", "other_bar", "lookalike_bar", "computed_at"]
    FaceAssessment.objects.bulk_update(rows, fields, batch_size=500)
    return len(rows)


def not_faces_reject() -> int:
    """Trust mode: reject the pending crops likely not a face that nobody voted on and that
    are no blind check, each audited with no actor (the system); an override reverses it."""
    face_ids = Face.objects.pending().filter(
        assessment__band=BAND_NOT_FACE, assessment__blind_check=False, approve_votes=0, reject_votes=0
    )
    rejected = 0
    for face_id in face_ids.values_list("pk", flat=True):
        rejected += review_auto_reject(face_id=face_id, reason=Face.Reason.NOT_A_FACE).saved
    return rejected


def review_assist_run(*, progress=None, batch_size: int = ASSIST_BATCH) -> dict:
    """Bring the pending crops' assessments up to date, incrementally.

    1. Note when the last run scored (the newest computed_at).
    2. Embed the pending crops that have no assessment, a batch at a time (FaceNet, from
       their stored crops); unreadable crops are skipped and logged for this run.
    3. Rescore the identities of the pending crops not scored yet (those just embedded,
       and those a merge or move marked: recognition.gallery.sync.crops_score_again)
       and of faces decided since the last run (their approved core, their crops or
       their bystanders may have changed).
    4. In trust mode, reject the crops likely not a face (not_faces_reject).
    """
    from recognition.embedders.facenet import facenet_embedder

    now = timezone.now()
    last_run = FaceAssessment.objects.aggregate(last=Max("computed_at"))["last"]
    summary = {"embedded": 0, "unreadable": 0, "scored": 0, "rejected": 0}
    pending = Face.objects.pending().filter(assessment__isnull=True).order_by("pk")
    total, skipped = pending.count(), set()
    if progress is not None:
        progress.step(f"Embedding {total} pending crops")
    while batch := list(pending.exclude(pk__in=skipped)[:batch_size]):
        unreadable = crops_embed(batch, facenet_embedder(), now)
        skipped.update(unreadable)
        summary["embedded"] += len(batch) - len(unreadable)
        summary["unreadable"] += len(unreadable)
        if progress is not None:
            progress.advance(
                summary["embedded"] + summary["unreadable"], max(total, 1), summary=dict(summary)
            )
    unscored = FaceAssessment.objects.filter(face__status=Face.Status.PENDING, core_source="")
    touched = set(unscored.values_list("face__identity_id", flat=True).distinct())
    if last_run is not None:
        decided = Face.objects.filter(decided_at__gte=last_run).values_list("identity_id", flat=True)
        touched.update(decided.distinct())
    if progress is not None:
        progress.step(f"Scoring the crops of {len(touched)} identities")
    summary["scored"] = identities_assess(touched, now=now)
    if settings.FACESITE_REVIEW_ASSIST == "trust":
        summary["rejected"] = not_faces_reject()
    return summary
