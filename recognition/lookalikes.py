"""An identity's approved faces that look more like another identity than like its own.

Most often a bystander filed under the wrong person: besides naming that person wrongly,
it raises the gallery's open-set threshold for everyone (benchmarks/open_set.py: 25% of
enrolled photos called unknown with unreviewed faces, 6.8% without them). Admins find
them on the identity's "looks like someone else" page and reject them there.
"""

from dataclasses import dataclass

import numpy as np

from identities.models import Face
from recognition.gallery import (
    EMBEDDER,
    LiveNames,
    faces_to_embed,
    gallery_matrix,
    gallery_threshold,
    identity_scores,
    live_top_matches,
)
from recognition.matches import Match
from recognition.models import FaceEmbedding


@dataclass(frozen=True)
class Lookalike:
    """An approved face that looks more like another identity than like its own: most
    often a bystander filed under the wrong person, which raises the open-set threshold
    for everyone (benchmarks/open_set.py)."""

    face_id: int
    # The best cosine similarity to its identity's other approved faces; None without one.
    own_score: float | None
    other_identity_id: int
    other_name: str
    other_score: float
    # The other identity's approved face most similar to this one, for a thumbnail.
    other_face_id: int

    @property
    def margin(self) -> float:
        """How much more it looks like the other identity; a face with no sibling counts
        its own score as 0.0, what two unrelated FaceNet faces score."""
        return self.other_score - (self.own_score if self.own_score is not None else 0.0)


@dataclass(frozen=True)
class _FaceRows:
    face_ids: list[int]
    vectors: np.ndarray  # (faces, dimension) float32


def _approved_rows(identity_ids: list[int]) -> dict[int, _FaceRows]:
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
        identity_id: _FaceRows(
            [face_id for face_id, _ in faces],
            np.frombuffer(b"".join(vector for _, vector in faces), dtype=np.float32).reshape(len(faces), -1),
        )
        for identity_id, faces in grouped.items()
    }


def _own_scores(vectors: np.ndarray) -> list[float | None]:
    """Each face's best similarity to the other faces of its identity (None with one face)."""
    if len(vectors) < 2:
        return [None] * len(vectors)
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -np.inf)
    return [float(score) for score in similarities.max(axis=1)]


def _suspicious(other_score: float, own_score: float | None, threshold: float) -> bool:
    return other_score >= threshold and (own_score is None or other_score > own_score)


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

    1. Read the identity's approved faces' FaceNet rows (_approved_rows).
    2. own: each face's best similarity to the identity's other faces.
    3. other: score every other identity in the in-memory gallery for each face, as
       identification does (identity_scores), and take the best live one. One search of
       the identity's faces, not all pairs of the gallery: ~10 ms at 100,000 faces.
    4. Keep a face when other reaches gallery_threshold(), the score that names someone
       on the upload page, and beats own.
    5. Find the other identity's closest approved face in its rows; its score is the one
       kept (the same as the matrix's unless a face was rejected in the last moments).
    """
    own_rows = _approved_rows([identity_id]).get(identity_id)
    if own_rows is None:
        return []
    own_scores = _own_scores(own_rows.vectors)
    matches = _best_other_matches(identity_id, own_rows.vectors)
    threshold = gallery_threshold()
    candidates = [
        (face_id, vector, own_score, match)
        for face_id, vector, own_score, match in zip(
            own_rows.face_ids, own_rows.vectors, own_scores, matches, strict=True
        )
        if match is not None and _suspicious(match.score, own_score, threshold)
    ]
    other_rows = _approved_rows(sorted({match.identity_id for *_, match in candidates}))
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
    rows: _FaceRows | None,
    threshold: float,
) -> Lookalike | None:
    """The lookalike with the other identity's closest approved face, if its rows still
    make the face suspicious (None when its faces were all rejected meanwhile)."""
    if rows is None:
        return None
    similarities = rows.vectors @ vector
    closest = int(np.argmax(similarities))
    other_score = float(similarities[closest])
    if not _suspicious(other_score, own_score, threshold):
        return None
    return Lookalike(face_id, own_score, match.identity_id, match.name, other_score, rows.face_ids[closest])


def gallery_faces_unembedded() -> int:
    """How many approved faces have no FaceNet row yet: the gallery job has them queued
    or running, and until it is done searches do not see them."""
    return faces_to_embed(EMBEDDER).count()
