"""The gallery: embeddings of approved faces, and open-set identification over them.

Rows (FaceEmbedding) are added and removed by the gallery job, which the identities
app's `faces_changed` signal starts; they are stored, so a restart recomputes nothing.
Every approved face has a FaceNet row; with FACESITE_GALLERY_EMBEDDER "active-model" it
also gets a row of the active image model's embedder (recognition.model_embedding),
which the search uses once every gallery face has one. Each process searches an
in-memory copy of each embedder's rows, checked against a signature of the gallery
(counts and newest rows) at most once a second and after any change made in the
process: extended when rows were only added, reloaded when anything else changed.
"""

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, Sum

from identities.images import stored_image_rgb
from identities.models import Face, Identity
from recognition.embedders import Embedder
from recognition.embedding import facenet_embedder
from recognition.matches import Match
from recognition.models import FaceEmbedding, ModelVersion

logger = logging.getLogger(__name__)

# FaceNet's name: every approved face has its row, whatever else the gallery searches with.
EMBEDDER = "facenet"
# Faces embedded per batch: one storage read and one network run each.
SYNC_BATCH = 64
TARGET_KEY = "gallery"
# A change that arrives while a run is past its last check is caught by one follow-up
# run under this key (see gallery_sync_start).
FOLLOW_UP_TARGET_KEY = "gallery:next"

# Cosine similarity at which two FaceNet chips are the same person (1:1): the mean of
# the ten best-accuracy thresholds of the LFW protocol with chip()'s preprocessing and
# plain cosine (0.349, 98.7% accuracy; see `manage.py evaluate_lfw`).
# FACESITE_VERIFICATION_THRESHOLD overrides it.
LFW_VERIFICATION_THRESHOLD = 0.35
# Open-set calibration: a stranger should be named at most this often.
OPEN_SET_FAR = 0.01
# Below this many identities, a leave-one-identity-out estimate says too little.
CALIBRATION_MIN_IDENTITIES = 10
# Probes for the estimate: 1,000 against 100,000 faces is about a second on 2 cores.
CALIBRATION_MAX_PROBES = 1000
# The estimate is kept while the gallery's faces and identities stay within this
# fraction of what it was made on, so approving one face never costs a recalibration.
CALIBRATION_REUSE = 0.05
# Same-person and different-person pairs of gallery faces sampled (each) for a model
# embedder's 1:1 threshold; 3,000 of each is a few milliseconds.
CALIBRATION_PAIRS = 3000


# -- keeping the rows up to date ---------------------------------------------------------


def gallery_searches_models() -> bool:
    """Whether FACESITE_GALLERY_EMBEDDER asks for the active model's embedder."""
    return settings.FACESITE_GALLERY_EMBEDDER == "active-model"


def gallery_model_embedder(model_version: ModelVersion | None) -> Embedder | None:
    """The embedder of model_version (the active model, or None), when the gallery is to
    search with the active model.

    None for a facenet_head model: its layer before the softmax is the FaceNet embedding
    scaled, so FaceNet's rows already are its rows (see recognition.model_embedding).
    """
    from recognition.model_embedding import ModelEmbedder

    if not gallery_searches_models() or model_version is None:
        return None
    if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
        return None
    return ModelEmbedder(model_version)


def sync_embedders() -> list[Embedder]:
    """The embedders whose rows the gallery job keeps: FaceNet's always (verification,
    the figures and the fallback search use them), then the active model's if wanted."""
    from recognition.predicting import active_model

    model = gallery_model_embedder(active_model())
    return [facenet_embedder()] + ([model] if model is not None else [])


def faces_to_embed(embedder: str):
    return Face.objects.filter(status=Face.Status.APPROVED).exclude(embeddings__embedder=embedder)


def _stale_embeddings():
    return FaceEmbedding.objects.exclude(face__status=Face.Status.APPROVED)


def _crop_read(face: Face) -> np.ndarray | None:
    try:
        return np.asarray(stored_image_rgb(face.file))
    except (OSError, ValueError) as error:
        logger.warning("Face %s: crop %s unreadable: %s", face.pk, face.file, error)
        return None


def _batch_embed(faces: list[Face], embedder: Embedder) -> tuple[int, list[int]]:
    """Embed and store one batch; returns how many were stored and the unreadable ids."""
    crops = {face.pk: _crop_read(face) for face in faces}
    readable = [face for face in faces if crops[face.pk] is not None]
    vectors = embedder.embed_crops([crops[face.pk] for face in readable], readable)
    rows = [
        FaceEmbedding(face=face, embedder=embedder.name, vector=vector.astype(np.float32).tobytes())
        for face, vector in zip(readable, vectors, strict=True)
    ]
    # Another run may have embedded some of these meanwhile; the unique constraint keeps one.
    FaceEmbedding.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows), [face.pk for face in faces if crops[face.pk] is None]


def gallery_sync(*, progress=None, batch_size: int = SYNC_BATCH) -> dict:
    """Bring the gallery in line with the approved faces, incrementally.

    1. Delete embeddings of faces that are no longer approved (a deleted face takes its
       rows with it; a merged face keeps its row, since the identity is read through it).
    2. For each embedder kept (sync_embedders: FaceNet, then the active model's if the
       gallery searches with it), embed the approved faces that have no row of it, a
       batch at a time, reading their stored crops.
    3. Repeat until a pass finds nothing to do, so faces decided while the job ran are
       not left for a later change to pick up. Unreadable crops are skipped (and logged)
       for the rest of this run.

    A model that cannot embed (its files removed by hand, say) is dropped for the rest of
    the run and named in the summary's "model_error"; FaceNet's rows are still kept up to
    date, and the search goes on using them, since the model's rows stay incomplete.
    """
    summary = {"embedded": 0, "removed": 0, "unreadable": 0}
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
        stored, unreadable = _batch_embed(batch, embedder)
        skipped.update(unreadable)
        summary["embedded"] += stored
        summary["unreadable"] += len(unreadable)
        done += len(batch)
        if progress is not None:
            progress.advance(done, max(total, done), summary=dict(summary))
    return total


def gallery_job_run(*, job_run, progress) -> dict:
    return gallery_sync(progress=progress)


def gallery_sync_start(*, actor=None):
    """Queue a gallery job, or return the one already waiting.

    A run already working may be past its last look at the faces, so a change that
    arrives now gets one follow-up run queued behind it (again only one at a time).
    """
    from pipeline.models import JobRun

    job_run, created = _gallery_job_start(TARGET_KEY, "Gallery embeddings", actor)
    if not created and job_run.status == JobRun.Status.RUNNING:
        job_run, _ = _gallery_job_start(FOLLOW_UP_TARGET_KEY, "Gallery embeddings (follow-up)", actor)
    return job_run


def _gallery_job_start(target_key: str, label: str, actor):
    from pipeline.services import job_start

    return job_start(kind="gallery", parameters={}, actor=actor, label=label, target_key=target_key)


def faces_changed_receiver(sender, reason: str = "", **kwargs) -> None:
    gallery_recheck()
    # Merges, deletions and archiving need no new embeddings: rows go with their faces
    # and the search reads identities through them.
    if reason in ("decided", "imported") and queue_reachable():
        gallery_sync_start()


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
    import django_rq
    from redis.exceptions import RedisError

    try:
        return bool(django_rq.get_connection("process").ping())
    except RedisError as error:
        if not _unreachable_reported.is_set():
            _unreachable_reported.set()
            logger.warning("Gallery updates not queued, Redis did not answer: %s", error)
        return False


# Set once the missing Redis has been reported: an import commits once per photo.
_unreachable_reported = threading.Event()


# -- searching ---------------------------------------------------------------------------


@dataclass
class GalleryMatrix:
    """The gallery in memory, rows grouped by identity so a per-identity maximum is one reduceat."""

    signature: tuple
    vectors: np.ndarray  # (N, the embedder's dimension) float32
    identity_ids: np.ndarray  # (N,) per row, ascending

    def __post_init__(self) -> None:
        ids = self.identity_ids
        self.group_starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.zeros(0, int)
        self.group_identity_ids = ids[self.group_starts]


# Per embedder name: the process's copy of its rows, and its threshold.
_matrices: dict[str, GalleryMatrix] = {}
_matrix_lock = threading.Lock()
# How long a process trusts its copy before asking the database whether the gallery
# changed: that check counts the rows, 12 ms at 100,000 faces on PostgreSQL, twice the
# search itself. Changes made in this process are seen at once (gallery_recheck); those
# of other processes within this long, less than a gallery job takes to embed a face.
RECHECK_SECONDS = 1.0
# Per embedder: time.monotonic() of the last check of the database.
_checked_at: dict[str, float] = {}


def _signature(embedder: str = EMBEDDER) -> tuple:
    """What changes whenever the search would: rows added or removed (count, newest row),
    identities merged away, deleted or created (count, newest) or (un)archived.

    The newest rows' creation times guard against ids used again, which SQLite does
    after a test's rollback.
    """
    embeddings = FaceEmbedding.objects.filter(embedder=embedder)
    people = Identity.objects.aggregate(count=Count("pk"), archived=Sum("pk", filter=Q(archived=True)))
    return (
        embeddings.count(),
        embeddings.order_by("-pk").values_list("pk", "created_at").first(),
        people["count"],
        Identity.objects.order_by("-pk").values_list("pk", "created_at").first(),
        people["archived"],
    )


def _rows_matrix(
    signature: tuple, rows: list[tuple[int, bytes]], base: GalleryMatrix | None = None
) -> GalleryMatrix:
    """A matrix of (identity id, vector bytes) rows, added to base's rows if given.

    The vectors' length is read from the rows, so any embedder's rows fit.
    """
    identity_ids = np.array([identity_id for identity_id, _ in rows], dtype=np.int64)
    base = base if base is not None and len(base.vectors) else None
    dimension = len(bytes(rows[0][1])) // 4 if rows else (base.vectors.shape[1] if base else 0)
    vectors = np.frombuffer(b"".join(bytes(vector) for _, vector in rows), dtype=np.float32).reshape(
        len(rows), dimension
    )
    if base is not None:
        identity_ids = np.concatenate([base.identity_ids, identity_ids])
        vectors = np.concatenate([base.vectors, vectors])
    order = np.argsort(identity_ids, kind="stable")
    return GalleryMatrix(signature, vectors[order], identity_ids[order])


def _matrix_load(signature: tuple, embedder: str) -> GalleryMatrix:
    rows = FaceEmbedding.objects.filter(embedder=embedder, face__identity__archived=False).values_list(
        "face__identity_id", "vector"
    )
    return _rows_matrix(signature, list(rows))


def _still_there(model, newest: tuple | None) -> bool:
    return newest is not None and model.objects.filter(pk=newest[0], created_at=newest[1]).exists()


def _matrix_extend(matrix: GalleryMatrix, signature: tuple, embedder: str) -> GalleryMatrix | None:
    """matrix with the rows added since it was loaded, or None if anything else changed
    (a row or an identity gone, an identity (un)archived): approving faces then costs
    reading the new rows only, not the whole gallery."""
    count, newest, identities, newest_identity, archived = matrix.signature
    if archived != signature[4] or not _still_there(FaceEmbedding, newest):
        return None
    if not _still_there(Identity, newest_identity):
        return None
    if signature[2] != identities + Identity.objects.filter(pk__gt=newest_identity[0]).count():
        return None
    added = list(
        FaceEmbedding.objects.filter(embedder=embedder, pk__gt=newest[0]).values_list(
            "face__identity_id", "face__identity__archived", "vector"
        )
    )
    if signature[0] != count + len(added):
        return None
    rows = [(identity_id, vector) for identity_id, is_archived, vector in added if not is_archived]
    return _rows_matrix(signature, rows, base=matrix)


def gallery_matrix(embedder: str = EMBEDDER) -> GalleryMatrix:
    """The process's copy of one embedder's gallery: extended with new rows when only
    rows were added, reloaded when anything else in its signature changed.

    A process keeps FaceNet's copy and one model's at most: loading another model's
    drops the one before (an Inception V3 copy is 8 KiB a face).
    """
    with _matrix_lock:
        matrix = _matrices.get(embedder)
        if matrix is not None and time.monotonic() - _checked_at.get(embedder, 0.0) < RECHECK_SECONDS:
            return matrix
    signature = _signature(embedder)
    with _matrix_lock:
        matrix = _matrices.get(embedder)
        if matrix is None:
            for name in [name for name in _matrices if name != EMBEDDER]:
                del _matrices[name]
            matrix = _matrix_load(signature, embedder)
        elif matrix.signature != signature:
            matrix = _matrix_extend(matrix, signature, embedder) or _matrix_load(signature, embedder)
        _matrices[embedder] = matrix
        _checked_at[embedder] = time.monotonic()
        return matrix


def gallery_recheck() -> None:
    """Have this process's next search ask the database whether the gallery changed:
    after a change made here, which must show at once."""
    with _matrix_lock:
        _checked_at.clear()


def gallery_cache_clear() -> None:
    """Forget this process's copies of the gallery and their thresholds (for tests)."""
    with _matrix_lock:
        _matrices.clear()
        _calibrations.clear()
        _complete_embedders.clear()
        _checked_at.clear()


def gallery_size(embedder: str = EMBEDDER) -> int:
    """How many approved faces (of identities not archived) identification searches."""
    return len(gallery_matrix(embedder).vectors)


def gallery_search_embedder(active: ModelVersion | None) -> Embedder:
    """The embedder identification searches with, given the active model (or None).

    The active image model's when FACESITE_GALLERY_EMBEDDER is "active-model" and every
    face of FaceNet's gallery has a row of it, so a gallery still being embedded never
    answers with part of its faces; FaceNet's otherwise.
    """
    model = gallery_model_embedder(active)
    if model is not None and _rows_complete(model.name):
        return model
    return facenet_embedder()


def _rows_complete(embedder: str) -> bool:
    """Whether the embedder's rows have once covered every face FaceNet's cover.

    Remembered once true: from then on, faces approved later get the model's row in the
    same job as FaceNet's, as quickly. Rows are counted rather than each face checked for
    a row: at 100,000 faces on PostgreSQL the check took 249 ms a search, the count 28 ms
    (and only until the gallery is complete).
    """
    if embedder not in _complete_embedders:
        rows = FaceEmbedding.objects.filter(embedder__in=[EMBEDDER, embedder]).values_list("embedder")
        counts = dict(rows.annotate(Count("pk")))
        if counts.get(embedder, 0) >= counts.get(EMBEDDER, 0) > 0:
            _complete_embedders.add(embedder)
    return embedder in _complete_embedders


_complete_embedders: set[str] = set()


def identity_scores(matrix: GalleryMatrix, embeddings: np.ndarray) -> np.ndarray:
    """(M, identities): each identity's score for each query, the cosine similarity of
    its most similar face.

    The best face rather than a mean of the top three: an identity with one approved
    face must be as findable as one with fifty, and reviewed faces rarely carry the
    wrong name, which is what a mean would guard against. The open-set threshold is
    calibrated on the same score, so its many-chances bias is accounted for.
    """
    similarities = np.asarray(embeddings, dtype=np.float32) @ matrix.vectors.T
    return np.maximum.reduceat(similarities, matrix.group_starts, axis=1)


def gallery_identify(embeddings: np.ndarray, k: int = 5, embedder: str = EMBEDDER) -> list[list[Match]]:
    """For each L2-normalised embedding (of this embedder), the top-k identities, best first."""
    embeddings = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
    matrix = gallery_matrix(embedder)
    if not len(matrix.vectors) or not len(embeddings):
        return [[] for _ in embeddings]
    scores = identity_scores(matrix, embeddings)
    names = LiveNames()
    return [live_top_matches(matrix, row, k, names) for row in scores]


class LiveNames:
    """Names of identities that exist and are not archived, read as a search needs them.

    Read at search time, not kept with the matrix: a renamed identity shows its new name,
    and one deleted, merged away or archived by another process in the second before
    this process checks its copy again is passed over.
    """

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.looked_up: set[int] = set()

    def read(self, identity_ids: list[int]) -> dict[int, str]:
        missing = set(identity_ids) - self.looked_up
        if missing:
            live = Identity.objects.filter(pk__in=missing, archived=False)
            self.names.update(live.values_list("pk", "name"))
            self.looked_up |= missing
        return self.names


def live_top_matches(matrix: GalleryMatrix, row: np.ndarray, k: int, names: LiveNames) -> list[Match]:
    """The k best-scoring identities of one row of scores, best first, passing over any
    that are gone (scored -inf and the top taken again)."""
    row = row.copy()
    while count := min(k, int(np.isfinite(row).sum())):
        top = np.argpartition(-row, count - 1)[:count]
        top = top[np.argsort(-row[top], kind="stable")]
        identity_ids = [int(matrix.group_identity_ids[i]) for i in top]
        known = names.read(identity_ids)
        gone = [i for i, identity_id in zip(top, identity_ids, strict=True) if identity_id not in known]
        if not gone:
            return [
                Match(identity_id, known[identity_id], float(row[i]))
                for i, identity_id in zip(top, identity_ids, strict=True)
            ]
        row[gone] = -np.inf
    return []


# -- thresholds ---------------------------------------------------------------------------


def verification_threshold() -> float:
    """Cosine similarity at or above which two faces are the same person (1:1).

    LFW's, not the gallery's: 1:1 compares two photos the gallery never saw, which is
    what the LFW protocol measures, and it does not move as the gallery grows.
    """
    return settings.FACESITE_VERIFICATION_THRESHOLD or LFW_VERIFICATION_THRESHOLD


def open_set_threshold(matrix: GalleryMatrix, far: float = OPEN_SET_FAR, seed: int = 0) -> float | None:
    """The identity score a stranger reaches at most `far` of the time, estimated by
    leaving each probe's own identity out; None with too few identities.

    1. Take up to CALIBRATION_MAX_PROBES gallery faces as probes (seeded).
    2. For each, score every identity as identification does, and drop its own.
    3. The best remaining score is what this face would get if its person were not
       enrolled: a stranger's top score. Return its (1 - far) quantile.
    """
    if len(matrix.group_starts) < CALIBRATION_MIN_IDENTITIES:
        return None
    generator = np.random.default_rng(seed)
    count = min(len(matrix.vectors), CALIBRATION_MAX_PROBES)
    probes = np.sort(generator.choice(len(matrix.vectors), size=count, replace=False))
    stranger_scores = []
    for start in range(0, count, 256):
        chunk = probes[start : start + 256]
        scores = identity_scores(matrix, matrix.vectors[chunk])
        own = np.searchsorted(matrix.group_identity_ids, matrix.identity_ids[chunk])
        scores[np.arange(len(chunk)), own] = -np.inf
        stranger_scores.append(scores.max(axis=1))
    return float(np.quantile(np.concatenate(stranger_scores), 1 - far))


@dataclass(frozen=True)
class Calibration:
    faces: int
    identities: int
    threshold: float

    def fits(self, matrix: GalleryMatrix) -> bool:
        return _near(self.faces, len(matrix.vectors)) and _near(self.identities, len(matrix.group_starts))


def _near(calibrated: int, now: int) -> bool:
    return abs(now - calibrated) <= CALIBRATION_REUSE * calibrated


_calibrations: dict[str, Calibration] = {}


def gallery_threshold(embedder: str = EMBEDDER) -> float:
    """The identity score below which a face is "unknown" (for this embedder's gallery).

    The open-set estimate (a stranger named at most OPEN_SET_FAR of the time) on the
    approved gallery, but never below a 1:1 threshold, so the upload page never names
    someone a 1:1 comparison would call a different person. For FaceNet that floor is
    the verification threshold (LFW's); LFW says nothing of another embedding space, so
    a model embedder's floor is its pair_threshold() on the gallery itself. With fewer
    than CALIBRATION_MIN_IDENTITIES identities, the floor alone.
    Recomputed only when the gallery has grown or shrunk by CALIBRATION_REUSE.
    """
    matrix = gallery_matrix(embedder)
    calibration = _calibrations.get(embedder)
    if calibration is None or not calibration.fits(matrix):
        floor = verification_threshold() if embedder == EMBEDDER else pair_threshold(matrix)
        threshold = max(open_set_threshold(matrix) or 0.0, floor)
        calibration = Calibration(len(matrix.vectors), len(matrix.group_starts), threshold)
        _calibrations[embedder] = calibration
    return calibration.threshold


def pair_threshold(matrix: GalleryMatrix, pairs: int = CALIBRATION_PAIRS, seed: int = 0) -> float:
    """A 1:1 threshold estimated on the gallery: the best-accuracy cosine threshold over
    sampled pairs of faces of one identity and of two.

    Optimistic for a trained model's embedder: the gallery holds the faces the model was
    trained on, whose same-person pairs it pulls closer than it would a stranger's photos.
    It only stands in for the LFW figure FaceNet has, which no other embedding can reuse.

    1. Sample (seeded) a face of an identity that has another, and one of its other faces.
    2. Sample pairs of faces at random and keep those of two identities.
    3. Return recognition.lfw.best_threshold over both kinds of pairs. Without a pair of
       each kind (one identity, or one face each) there is nothing to tell apart, and
       1.0 is returned: no face is named.
    """
    from recognition.lfw import best_threshold

    generator = np.random.default_rng(seed)
    sizes = np.diff(np.r_[matrix.group_starts, len(matrix.identity_ids)])
    group_of_row = np.repeat(np.arange(len(sizes)), sizes)
    shared = np.flatnonzero(sizes[group_of_row] > 1)
    if not len(shared) or len(sizes) < 2:
        return 1.0
    first = generator.choice(shared, size=pairs)
    group = group_of_row[first]
    start, size = matrix.group_starts[group], sizes[group]
    second = start + (first - start + generator.integers(1, size)) % size
    left, right = generator.integers(0, len(group_of_row), size=(2, pairs))
    apart = group_of_row[left] != group_of_row[right]
    vectors = matrix.vectors
    same_scores = np.einsum("ij,ij->i", vectors[first], vectors[second])
    different_scores = np.einsum("ij,ij->i", vectors[left[apart]], vectors[right[apart]])
    scores = np.concatenate([same_scores, different_scores])
    same = np.r_[np.ones(len(same_scores), bool), np.zeros(len(different_scores), bool)]
    return best_threshold(scores, same)
