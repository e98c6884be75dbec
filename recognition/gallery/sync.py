"""Keeping the gallery's rows in step with the approved faces: what happens after an approval.

1. A review decision, an import of approved faces, a merge, deletion or archive commits
   and sends identities' `faces_changed` signal (identities.signals).
2. `faces_changed_receiver` (connected in recognition/apps.py) makes this process's next
   search look again, and for decisions and imports queues the gallery job; with review
   assistance on, it also queues the review_assist job, which for merges and moves
   scores the identities' pending crops again (crops_score_again).
3. The job (recognition/tasks.py, kind "gallery") runs `gallery_sync`: it deletes rows of
   faces no longer approved and gives approved faces that have none one, for FaceNet and
   the embedder FACESITE_GALLERY_EMBEDDER chooses (gallery.policy): the vector review
   assistance made of the crop while it was pending, where there is one, else a new
   embedding.
4. Every process's next search (gallery.cache) finds the new rows within a second.

Faces moved to another identity keep their vectors (the crop is the same), but a row
names no identity, so no process's signature would change: `faces_moved_receiver`
re-files their rows under new primary keys inside the move's own transaction, and every
copy of the gallery reloads with the faces under their new identity.
"""

import logging
import threading
from collections.abc import Iterable

import django_rq
import numpy as np
from django.conf import settings
from redis.exceptions import RedisError

from identities.images import stored_image_rgb
from identities.models import Face, FaceAssessment
from pipeline.models import JobRun
from pipeline.services import job_start
from recognition.embedders.base import Embedder
from recognition.embedders.dlib_resnet import FusedEmbedder
from recognition.gallery.cache import EMBEDDER, gallery_recheck
from recognition.gallery.policy import gallery_model_embedder, sync_embedders
from recognition.models import FaceEmbedding, ModelVersion

logger = logging.getLogger(__name__)

# Faces embedded per batch: one storage read and one network run each.
SYNC_BATCH = 64


TARGET_KEY = "gallery"


ASSIST_TARGET_KEY = "review_assist"


def faces_to_embed(embedder: str):
    return Face.objects.filter(status=Face.Status.APPROVED).exclude(embeddings__embedder=embedder)


def _stale_embeddings():
    return FaceEmbedding.objects.exclude(face__status=Face.Status.APPROVED)


def crop_read(face: Face) -> np.ndarray | None:
    try:
        return np.asarray(stored_image_rgb(face.file))
    except (OSError, ValueError) as error:
        logger.warning("Face %s: crop %s unreadable: %s", face.pk, face.file, error)
        return None


def assessed_vectors(faces: list[Face], embedder: str) -> dict[int, bytes]:
    """The vectors review assistance stored for these faces while they were pending
    (FaceAssessment), where this embedder made them from the crop the face still has:
    the same network on the same crop gives the same vector, so it is not run twice."""
    crop_files = {face.pk: face.file for face in faces}
    rows = FaceAssessment.objects.filter(face_id__in=crop_files, embedder=embedder)
    return {
        face_id: bytes(vector)
        for face_id, crop_file, vector in rows.values_list("face_id", "crop_file", "vector")
        if crop_file == crop_files[face_id]
    }


def _batch_embed(faces: list[Face], embedder: Embedder) -> tuple[int, int, list[int]]:
    """Store one batch's rows, embedding only the crops with no vector from review
    assistance; returns how many were embedded, how many were taken from review
    assistance, and the unreadable ids."""
    assessed = assessed_vectors(faces, embedder.name)
    crops = {face.pk: crop_read(face) for face in faces if face.pk not in assessed}
    readable = [face for face in faces if crops.get(face.pk) is not None]
    rows = [
        FaceEmbedding(face_id=face_id, embedder=embedder.name, vector=vector)
        for face_id, vector in assessed.items()
    ]
    if readable:
        vectors = _crops_embed(embedder, [crops[face.pk] for face in readable], readable)
        rows += [
            FaceEmbedding(face=face, embedder=embedder.name, vector=vector.astype(np.float32).tobytes())
            for face, vector in zip(readable, vectors, strict=True)
        ]
    # Another run may have embedded some of these meanwhile; the unique constraint keeps one.
    FaceEmbedding.objects.bulk_create(rows, ignore_conflicts=True)
    unreadable = [face_id for face_id, crop in crops.items() if crop is None]
    return len(readable), len(assessed), unreadable


def _crops_embed(embedder: Embedder, crops: list[np.ndarray], faces: list[Face]) -> np.ndarray:
    """embedder.embed_crops(), except that the fused embedder takes its FaceNet half from
    the FaceNet rows of the same crops (FaceNet's pass of this job runs first) rather than
    running FaceNet again: about a third of its time per face."""
    if embedder.name != FusedEmbedder.name:
        return embedder.embed_crops(crops, faces)
    rows = FaceEmbedding.objects.filter(face__in=faces, embedder=EMBEDDER).values_list("face_id", "vector")
    stored = {face_id: np.frombuffer(vector, dtype=np.float32) for face_id, vector in rows}
    missing = [index for index, face in enumerate(faces) if face.pk not in stored]
    embedded = iter(embedder.facenet.embed_crops([crops[i] for i in missing], [faces[i] for i in missing]))
    facenet = np.stack([stored[face.pk] if face.pk in stored else next(embedded) for face in faces])
    return embedder.fuse(facenet, embedder.dlib.embed_crops(crops, faces))


def gallery_sync(*, progress=None, batch_size: int = SYNC_BATCH) -> dict:
    """Bring the gallery in line with the approved faces, incrementally.

    1. Delete embeddings of faces that are no longer approved (a deleted face takes its
       rows with it; a merged face keeps its row, since the identity is read through it).
    2. For each embedder kept (sync_embedders: FaceNet, then the fused or the active
       model's if the gallery searches with it), give the approved faces that have no
       row of it one, a batch at a time: review assistance's vector of the same crop
       where it has one (assessed_vectors), else one embedded from the stored crop; the
       summary counts them as "from_review" and "embedded".
    3. Repeat until a pass finds nothing to do, so faces decided while the job ran are
       not left for a later change to pick up. Unreadable crops are skipped (and logged)
       for the rest of this run.

    A model that cannot embed (its files removed by hand, say) is dropped for the rest of
    the run and named in the summary's "model_error"; FaceNet's rows are still kept up to
    date, and the search goes on using them, since the model's rows stay incomplete.
    """
    summary = {"embedded": 0, "from_review": 0, "removed": 0, "unreadable": 0}
    embedders = sync_embedders()
    skipped: set[int] = set()
    while True:
        removed, _ = _stale_embeddings().delete()
        summary["removed"] += removed
        pending = 0
        for embedder in list(embedders):
            try:
                pending += _pending_embed(embedder, skipped, summary, progress, batch_size)
            except Exception as error:
                if embedder.name == EMBEDDER:
                    raise
                logger.exception("%s could not embed the gallery", embedder.label)
                summary["model_error"] = f"{embedder.label} could not embed faces: {error}"
                embedders.remove(embedder)
        gallery_recheck()
        if not pending and not removed:
            return summary


def _pending_embed(embedder: Embedder, skipped: set[int], summary: dict, progress, batch_size: int) -> int:
    """Embed the approved faces without a row of this embedder; returns how many were pending."""
    pending = faces_to_embed(embedder.name).exclude(pk__in=skipped).order_by("pk")
    total = pending.count()
    if progress is not None:
        progress.step(f"Embedding {total} approved faces ({embedder.label})")
    done = 0
    while total and (batch := list(pending.exclude(pk__in=skipped)[:batch_size])):
        embedded, reused, unreadable = _batch_embed(batch, embedder)
        skipped.update(unreadable)
        summary["embedded"] += embedded
        summary["from_review"] += reused
        summary["unreadable"] += len(unreadable)
        done += len(batch)
        if progress is not None:
            progress.advance(done, max(total, done), summary=dict(summary))
    return total


def gallery_sync_start(*, actor=None):
    """Queue a gallery job, or return the one already waiting (see catch_up_job_start)."""
    return catch_up_job_start("gallery", "Gallery embeddings", TARGET_KEY, actor=actor)


def review_assist_start(*, actor=None):
    """Queue a review assistance job (recognition.services.review_assist), or return the one waiting."""
    return catch_up_job_start("review_assist", "Review assistance scores", ASSIST_TARGET_KEY, actor=actor)


def catch_up_job_start(kind: str, label: str, target_key: str, *, actor=None):
    """Queue a job of a kind whose run catches up on everything missing, or return the one
    already waiting.

    A run already working may be past its last look at the faces, so a change that
    arrives now gets one follow-up run queued behind it (again only one at a time).
    """
    job_run, created = job_start(kind=kind, parameters={}, actor=actor, label=label, target_key=target_key)
    if not created and job_run.status == JobRun.Status.RUNNING:
        job_run, _ = job_start(
            kind=kind,
            parameters={},
            actor=actor,
            label=f"{label} (follow-up)",
            target_key=follow_up_key(target_key),
        )
    return job_run


def follow_up_key(target_key: str) -> str:
    """The target key of the one follow-up run queued behind a running catch-up job."""
    return f"{target_key}:next"


def catch_up_jobs_waiting(target_keys: list[str]) -> set[str]:
    """Those of these catch-up jobs' target keys whose job will see a change committed
    now without another start: a run queued and not yet claimed, or one running with its
    follow-up queued or running (what catch_up_job_start would return), in one query."""
    follow_ups = [follow_up_key(target_key) for target_key in target_keys]
    active = dict(
        JobRun.objects.active()
        .filter(target_key__in=[*target_keys, *follow_ups])
        .values_list("target_key", "status")
    )
    return {
        target_key
        for target_key in target_keys
        if active.get(target_key) == JobRun.Status.QUEUED
        or (active.get(target_key) == JobRun.Status.RUNNING and follow_up_key(target_key) in active)
    }


def faces_changed_receiver(sender, reason: str = "", identity_ids: Iterable[int] = (), **kwargs) -> None:
    gallery_recheck()
    starts = {}
    # Merges, deletions and archiving need no new embeddings: rows go with their faces
    # and the search reads identities through them.
    if reason in ("decided", "imported"):
        starts[TARGET_KEY] = gallery_sync_start
    assisted = settings.FACESITE_REVIEW_ASSIST != "off"
    # A merge or move changes which approved faces the identities' cores are made of
    # (a merge also whose crops are whose), so their pending crops are scored again.
    if reason in ("merged", "moved") and assisted:
        crops_score_again(identity_ids)
    # New pending crops, and decisions (which move identity cores), are scored again.
    if reason in ("decided", "imported", "pending", "merged", "moved") and assisted:
        starts[ASSIST_TARGET_KEY] = review_assist_start
    # Reviewers decide faces faster than the jobs run, so a decision usually finds both
    # jobs waiting already: one query says so, and Redis is not asked (a connection each
    # time). Otherwise one look at Redis for both.
    waiting = catch_up_jobs_waiting(list(starts)) if starts else set()
    needed = [start for target_key, start in starts.items() if target_key not in waiting]
    if needed and queue_reachable():
        for start in needed:
            start()


def crops_score_again(identity_ids: Iterable[int]) -> int:
    """Mark these identities' pending crops as not scored, as a newly embedded crop is
    (an empty core_source), so that the next review assistance run scores them again;
    their bands stay as they were until then. Returns how many were marked."""
    pending = FaceAssessment.objects.filter(
        face__identity_id__in=identity_ids, face__status=Face.Status.PENDING
    )
    return pending.exclude(core_source="").update(core_source="")


def faces_moved_receiver(sender, face_ids: list[int], **kwargs) -> None:
    """Re-file the moved faces' rows (every embedder's): the same vectors under new
    primary keys and times, which changes the gallery's signature (gallery.cache)."""
    rows = FaceEmbedding.objects.filter(face_id__in=face_ids)
    copies = [
        FaceEmbedding(face_id=face_id, embedder=embedder, vector=bytes(vector))
        for face_id, embedder, vector in rows.values_list("face_id", "embedder", "vector")
    ]
    rows.delete()
    FaceEmbedding.objects.bulk_create(copies)
    gallery_recheck()


def gallery_model_activated(model_version: ModelVersion) -> None:
    """Start a gallery job that embeds the approved faces with a newly active model, when
    the gallery searches with it (a facenet_head model searches FaceNet's rows, which
    are there)."""
    if gallery_model_embedder(model_version) is not None and queue_reachable():
        gallery_sync_start()


def queue_reachable() -> bool:
    """Whether Redis answers; without it (an import run while the site is down) a gallery
    job per commit would only pile up failed runs. The next change or `gallery_sync`
    catches up, since a run embeds everything that is missing."""
    try:
        return bool(django_rq.get_connection("process").ping())
    except RedisError as error:
        if not _unreachable_reported.is_set():
            _unreachable_reported.set()
            logger.warning("Gallery updates not queued, Redis did not answer: %s", error)
        return False


# Set once the missing Redis has been reported: an import commits once per photo.
_unreachable_reported = threading.Event()
