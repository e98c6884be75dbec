"""Each process's copy of the gallery, and the other things it remembers about it.

Every approved face has a FaceNet row; with FACESITE_GALLERY_EMBEDDER "active-model" it
also gets a row of the active image model's embedder, which the search uses once every
gallery face has one. A process searches an in-memory copy of each embedder's rows,
checked against a signature of the gallery (counts and newest rows) at most once a
second and after any change made in the process: extended when rows were only added,
reloaded when anything else changed.

Four caches live here, all behind one lock: the matrices, when each was last checked,
each embedder's threshold (gallery.thresholds computes it) and the embedders whose rows
are complete.
"""

import threading
import time

from django.db.models import Count, Q, Sum

from identities.models import Identity
from recognition.embedders.facenet import FaceNetEmbedder
from recognition.gallery.index import GalleryMatrix, rows_matrix
from recognition.models import FaceEmbedding

# FaceNet's name: every approved face has its row, whatever else the gallery searches with.
EMBEDDER = FaceNetEmbedder.name


# How long a process trusts its copy before asking the database whether the gallery
# changed: that check counts the rows, 12 ms at 100,000 faces on PostgreSQL, twice the
# search itself. Changes made in this process are seen at once (gallery_recheck); those
# of other processes within this long, less than a gallery job takes to embed a face.
RECHECK_SECONDS = 1.0

_lock = threading.Lock()
# Per embedder name: the process's copy of its rows...
_matrices: dict[str, GalleryMatrix] = {}
# ...time.monotonic() of the last check of the database...
_checked_at: dict[str, float] = {}
# ...its threshold with the size of the gallery it was computed on (gallery.thresholds)...
_calibrations: dict[str, object] = {}
# ...and whether its rows have once covered every face FaceNet's cover.
_complete_embedders: set[str] = set()


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


def _matrix_load(signature: tuple, embedder: str) -> GalleryMatrix:
    rows = FaceEmbedding.objects.filter(embedder=embedder, face__identity__archived=False).values_list(
        "face__identity_id", "face_id", "vector"
    )
    return rows_matrix(signature, list(rows))


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
            "face__identity_id", "face__identity__archived", "face_id", "vector"
        )
    )
    if signature[0] != count + len(added):
        return None
    rows = [
        (identity_id, face_id, vector)
        for identity_id, is_archived, face_id, vector in added
        if not is_archived
    ]
    return rows_matrix(signature, rows, base=matrix)


def gallery_matrix(embedder: str = EMBEDDER) -> GalleryMatrix:
    """The process's copy of one embedder's gallery: extended with new rows when only
    rows were added, reloaded when anything else in its signature changed.

    A process keeps FaceNet's copy and one model's at most: loading another model's
    drops the one before (an Inception V3 copy is 8 KiB a face).
    """
    with _lock:
        matrix = _matrices.get(embedder)
        if matrix is not None and time.monotonic() - _checked_at.get(embedder, 0.0) < RECHECK_SECONDS:
            return matrix
    signature = _signature(embedder)
    with _lock:
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
    with _lock:
        _checked_at.clear()


def gallery_cache_clear() -> None:
    """Forget this process's copies of the gallery and their thresholds (for tests)."""
    with _lock:
        _matrices.clear()
        _calibrations.clear()
        _complete_embedders.clear()
        _checked_at.clear()


def gallery_size(embedder: str = EMBEDDER) -> int:
    """How many approved faces (of identities not archived) identification searches."""
    return len(gallery_matrix(embedder).vectors)


def rows_complete(embedder: str) -> bool:
    """Whether the embedder's rows have once covered every face FaceNet's cover.

    Remembered once true: from then on, faces approved later get the model's row in the
    same job as FaceNet's, as quickly. Rows are counted rather than each face checked for
    a row: at 100,000 faces on PostgreSQL the check took 249 ms a search, the count 28 ms
    (and only until the gallery is complete).
    """
    with _lock:
        if embedder in _complete_embedders:
            return True
    rows = FaceEmbedding.objects.filter(embedder__in=[EMBEDDER, embedder]).values_list("embedder")
    counts = dict(rows.annotate(Count("pk")))
    complete = counts.get(embedder, 0) >= counts.get(EMBEDDER, 0) > 0
    if complete:
        with _lock:
            _complete_embedders.add(embedder)
    return complete


def calibration_get(embedder: str):
    """The threshold gallery.thresholds last computed for this embedder's gallery, or None."""
    with _lock:
        return _calibrations.get(embedder)


def calibration_put(embedder: str, calibration) -> None:
    with _lock:
        _calibrations[embedder] = calibration
