"""An identity's approved faces that look more like another identity than like its own.

Most often a bystander filed under the wrong person: it pulls that person's core (the
mean of their faces, which identification scores) towards someone else. Admins find
them on the identity's "looks like someone else" page and reject them there; a job
scans the whole gallery the same way and lists the identities with the most of them.
"""

from dataclasses import dataclass

import numpy as np

from identities.models import Face
from pipeline.models import JobRun
from pipeline.services import job_start
from recognition.gallery.cache import EMBEDDER, gallery_matrix
from recognition.gallery.index import GalleryMatrix, identity_scores, own_core_scores
from recognition.gallery.search import LiveNames, live_top_matches
from recognition.gallery.sync import faces_to_embed
from recognition.gallery.thresholds import verification_threshold
from recognition.ml.scores import Match, l2_normalise
from recognition.models import FaceEmbedding

# Gallery rows scored at once by the scan: a block of 1,000 rows against 10,000
# identities' cores is 40 MB of float32.
SCAN_BLOCK = 1000
# Identities the scan's summary lists, most flagged first: it is kept in a JSON column.
SCAN_TOP_IDENTITIES = 200
# One scan at a time: a second click returns the one queued or running.
SCAN_TARGET_KEY = "gallery"


@dataclass(frozen=True)
class Lookalike:
    """An approved face that looks more like another identity than like its own: most
    often a bystander filed under the wrong person."""

    face_id: int
    # Its score against its identity's core without it (the mean of its other approved
    # faces), as identification would score it were it a new photo; None without one.
    own_score: float | None
    other_identity_id: int
    other_name: str
    other_score: float
    # Its score against the other identity's core; and the approved face of it most
    # similar to this one, for a thumbnail.
    other_face_id: int

    @property
    def margin(self) -> float:
        """How much more it looks like the other identity; a face with no sibling counts
        its own score as 0.0, what two unrelated FaceNet faces score."""
        return self.other_score - (self.own_score if self.own_score is not None else 0.0)


@dataclass(frozen=True)
class FaceRows:
    face_ids: list[int]
    vectors: np.ndarray  # (faces, dimension) float32


def approved_face_rows(identity_ids: list[int]) -> dict[int, FaceRows]:
    """The FaceNet rows of these identities' approved faces, by identity, read from the
    database: the matrix keeps no face ids, leaves archived identities out, and may still
    hold a face rejected a moment ago that the gallery job has not yet removed."""
    rows = (
        FaceEmbedding.objects.filter(
            embedder=EMBEDDER, face__identity_id__in=identity_ids, face__status=Face.Status.APPROVED
        )
        .order_by("face_id")
        .values_list("face__identity_id", "face_id", "vector")
    )
    grouped: dict[int, list[tuple[int, bytes]]] = {}
    for identity_id, face_id, vector in rows:
        grouped.setdefault(identity_id, []).append((face_id, bytes(vector)))
    return {
        identity_id: FaceRows(
            [face_id for face_id, _ in faces],
            np.frombuffer(b"".join(vector for _, vector in faces), dtype=np.float32).reshape(len(faces), -1),
        )
        for identity_id, faces in grouped.items()
    }


def _own_scores(vectors: np.ndarray) -> list[float | None]:
    """Each face's score against the core of its identity's other faces (None with one face)."""
    if len(vectors) < 2:
        return [None] * len(vectors)
    matrix = GalleryMatrix((), vectors, np.zeros(len(vectors), np.int64))
    return [float(score) for score in own_core_scores(matrix, vectors, np.arange(len(vectors)))]


def lookalike_threshold() -> float:
    """The score at which a face counts as like another identity: FaceNet's 1:1 threshold
    (the lookalike scan compares FaceNet's rows), at which two faces are one person.

    Not the gallery's open-set threshold: that is the bar a stranger's best match among
    all identities reaches rarely (0.6 and more for a large gallery), far above the score
    at which a face is already more like another person than its own.
    """
    return verification_threshold()


def _suspicious(other_score, own_score, threshold: float):
    """Whether a face looks more like another identity: the other's score names someone
    and beats the face's own. Takes one face's scores (own None without a sibling) or
    arrays of them (own -inf without one), so the scan and the page flag alike."""
    own_score = -np.inf if own_score is None else own_score
    return (other_score >= threshold) & (other_score > own_score)


def _best_other_matches(identity_id: int, vectors: np.ndarray) -> list[Match | None]:
    """For each vector, the best-scoring live identity other than identity_id."""
    matrix = gallery_matrix()
    if not len(matrix.vectors):
        return [None] * len(vectors)
    scores = identity_scores(matrix, vectors)
    own_group = int(np.searchsorted(matrix.group_identity_ids, identity_id))
    if own_group < len(matrix.group_identity_ids) and matrix.group_identity_ids[own_group] == identity_id:
        scores[:, own_group] = -np.inf
    names = LiveNames()
    return [next(iter(live_top_matches(matrix, row, 1, names)), None) for row in scores]


def identity_lookalikes(identity_id: int) -> list[Lookalike]:
    """The identity's approved faces that look more like another identity than like its
    own, most suspicious (largest margin) first.

    1. Read the identity's approved faces' FaceNet rows (approved_face_rows).
    2. own: each face's score against the core of the identity's other faces.
    3. other: score every other identity's core in the in-memory gallery for each face,
       as identification does (identity_scores), and take the best live one.
    4. Keep a face when other reaches lookalike_threshold(), the 1:1 "same person"
       score, and beats own.
    5. Score the other identity's core from its rows again (the same as the matrix's
       unless a face was rejected in the last moments) and find its closest face.
    """
    own_rows = approved_face_rows([identity_id]).get(identity_id)
    if own_rows is None:
        return []
    own_scores = _own_scores(own_rows.vectors)
    matches = _best_other_matches(identity_id, own_rows.vectors)
    threshold = lookalike_threshold()
    candidates = [
        (face_id, vector, own_score, match)
        for face_id, vector, own_score, match in zip(
            own_rows.face_ids, own_rows.vectors, own_scores, matches, strict=True
        )
        if match is not None and _suspicious(match.score, own_score, threshold)
    ]
    other_rows = approved_face_rows(sorted({match.identity_id for *_, match in candidates}))
    lookalikes = [
        _lookalike_confirm(face_id, vector, own_score, match, other_rows.get(match.identity_id), threshold)
        for face_id, vector, own_score, match in candidates
    ]
    return sorted(filter(None, lookalikes), key=lambda lookalike: -lookalike.margin)


def _lookalike_confirm(
    face_id: int,
    vector: np.ndarray,
    own_score: float | None,
    match: Match,
    rows: FaceRows | None,
    threshold: float,
) -> Lookalike | None:
    """The lookalike with the other identity's closest approved face, if its rows still
    make the face suspicious (None when its faces were all rejected meanwhile)."""
    if rows is None:
        return None
    other_score = float(l2_normalise(rows.vectors.sum(axis=0)) @ vector)
    closest = int(np.argmax(rows.vectors @ vector))
    if not _suspicious(other_score, own_score, threshold):
        return None
    return Lookalike(face_id, own_score, match.identity_id, match.name, other_score, rows.face_ids[closest])


def gallery_faces_unembedded() -> int:
    """How many approved faces have no FaceNet row yet: the gallery job has them queued
    or running, and until it is done searches do not see them."""
    return faces_to_embed(EMBEDDER).count()


# -- the gallery-wide scan --------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedRows:
    """The gallery rows a scan flags, ascending, with each one's other identity and
    margin (Lookalike.margin)."""

    rows: np.ndarray
    other_identity_ids: np.ndarray
    margins: np.ndarray


def _block_flag(matrix: GalleryMatrix, start: int, stop: int, threshold: float) -> FlaggedRows:
    """The matrix rows start:stop that look more like another identity, flagged as
    identity_lookalikes flags them.

    1. Score the block against every identity's core, as identity_scores.
    2. own: each row's score against its identity's core without it (own_core_scores;
       -inf for a face without a sibling); its own column is then set to -inf, and the
       best left is the other identity.
    3. Keep the rows _suspicious says, their margin as Lookalike.margin (no sibling: 0.0).
    """
    block, rows = np.arange(stop - start), np.arange(start, stop)
    scores = identity_scores(matrix, matrix.vectors[start:stop])
    own_groups = matrix.groups_of(rows)
    own = own_core_scores(matrix, matrix.vectors[start:stop], rows)
    scores[block, own_groups] = -np.inf
    other_groups = scores.argmax(axis=1)
    other = scores[block, other_groups].astype(np.float64)
    keep = _suspicious(other, own, threshold)
    return FlaggedRows(
        block[keep] + start,
        matrix.group_identity_ids[other_groups[keep]],
        other[keep] - np.where(np.isfinite(own[keep]), own[keep], 0.0),
    )


def gallery_flagged_rows(matrix: GalleryMatrix, threshold: float, progress=None) -> FlaggedRows:
    """Every row of the matrix that looks more like another identity than like its own,
    scored SCAN_BLOCK rows at a time (_block_flag), progress reported per block."""
    total = len(matrix.vectors)
    blocks = []
    for start in range(0, total, SCAN_BLOCK):
        stop = min(start + SCAN_BLOCK, total)
        blocks.append(_block_flag(matrix, start, stop, threshold))
        if progress is not None:
            progress.advance(stop, total)
    return FlaggedRows(
        *(
            np.concatenate([getattr(block, name) for block in blocks]) if blocks else np.zeros(0, dtype)
            for name, dtype in (("rows", np.int64), ("other_identity_ids", np.int64), ("margins", np.float64))
        )
    )


def gallery_lookalikes_scan(progress=None) -> dict:
    """Every gallery face that looks more like another identity than like its own, as
    identity_lookalikes flags them, summed up by identity for JobRun.summary.

    Scans the in-memory FaceNet gallery (gallery_flagged_rows). Flags whose identity or
    other identity is no longer live (deleted, merged away or archived while the scan
    ran) are dropped. The summary lists the SCAN_TOP_IDENTITIES identities with the most
    flagged faces, each with its worst (largest) margin.
    """
    matrix = gallery_matrix()
    threshold = lookalike_threshold()
    if progress is not None:
        progress.step(f"Scanning {len(matrix.vectors)} gallery faces for lookalikes")
    flagged = gallery_flagged_rows(matrix, threshold, progress)
    identity_ids = matrix.identity_ids[flagged.rows]
    names = LiveNames().read(sorted({int(i) for i in np.r_[identity_ids, flagged.other_identity_ids]}))
    live = np.isin(identity_ids, list(names)) & np.isin(flagged.other_identity_ids, list(names))
    return {
        "faces_scanned": len(matrix.vectors),
        "faces_flagged": int(live.sum()),
        "threshold": round(threshold, 3),
        **_identities_summary(identity_ids[live], flagged.margins[live], names),
    }


def _identities_summary(identity_ids: np.ndarray, margins: np.ndarray, names: dict[int, str]) -> dict:
    """How many identities have flagged faces, and the top ones by count then worst
    margin. identity_ids come in the matrix's order, ascending, so each identity's
    flags are one run."""
    ids, starts, counts = np.unique(identity_ids, return_index=True, return_counts=True)
    worst = np.maximum.reduceat(margins, starts) if len(ids) else np.zeros(0)
    order = np.lexsort((-worst, -counts))[:SCAN_TOP_IDENTITIES]
    return {
        "identities_flagged": len(ids),
        "identities": [
            {
                "identity_id": int(ids[i]),
                "name": names[int(ids[i])],
                "faces": int(counts[i]),
                "worst": round(float(worst[i]), 3),
            }
            for i in order
        ],
    }


def lookalikes_scan_start(*, actor):
    """Queue a gallery-wide lookalike scan, or return the one queued or running; returns
    (job run, whether it was started now)."""
    return job_start(
        kind="lookalikes",
        parameters={},
        actor=actor,
        label="Gallery lookalike faces",
        target_key=SCAN_TARGET_KEY,
    )


def lookalikes_scan_latest():
    """The latest finished scan, and the one queued or running if any (None each)."""
    scans = JobRun.objects.filter(kind="lookalikes")
    return (
        scans.filter(status=JobRun.Status.FINISHED).order_by("-finished_at", "-id").first(),
        scans.active().first(),
    )
