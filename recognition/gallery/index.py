"""The gallery in memory: one embedder's rows as a matrix grouped by identity, and the
score identification gives each identity. Pure NumPy; the rows come from gallery.cache."""

from dataclasses import dataclass

import numpy as np


@dataclass
class GalleryMatrix:
    """The gallery in memory, rows grouped by identity so a per-identity maximum is one reduceat."""

    signature: tuple
    vectors: np.ndarray  # (N, the embedder's dimension) float32
    identity_ids: np.ndarray  # (N,) per row, ascending
    # (N,) the Face of each row, so an answer can show the enrolled face that matched;
    # None for a matrix built from vectors alone (benchmarks).
    face_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = self.identity_ids
        self.group_starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.zeros(0, int)
        self.group_identity_ids = ids[self.group_starts]


def rows_matrix(
    signature: tuple, rows: list[tuple[int, int, bytes]], base: GalleryMatrix | None = None
) -> GalleryMatrix:
    """A matrix of (identity id, face id, vector bytes) rows, added to base's rows if given.

    The vectors' length is read from the rows, so any embedder's rows fit.
    """
    identity_ids = np.array([identity_id for identity_id, _, _ in rows], dtype=np.int64)
    face_ids = np.array([face_id for _, face_id, _ in rows], dtype=np.int64)
    base = base if base is not None and len(base.vectors) else None
    dimension = len(bytes(rows[0][2])) // 4 if rows else (base.vectors.shape[1] if base else 0)
    vectors = np.frombuffer(b"".join(bytes(vector) for _, _, vector in rows), dtype=np.float32).reshape(
        len(rows), dimension
    )
    if base is not None:
        identity_ids = np.concatenate([base.identity_ids, identity_ids])
        face_ids = np.concatenate([base.face_ids, face_ids])
        vectors = np.concatenate([base.vectors, vectors])
    order = np.argsort(identity_ids, kind="stable")
    return GalleryMatrix(signature, vectors[order], identity_ids[order], face_ids[order])


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


def identity_cores(matrix: GalleryMatrix) -> np.ndarray:
    """(identities, dimension): each identity's core, the unit-length mean of its faces'
    vectors, in the order of matrix.group_identity_ids.

    The mean direction, not a medoid: one face filed under the wrong name moves it by
    1/n of its faces, and it costs one pass over the rows.
    """
    if not len(matrix.vectors):
        return np.zeros((0, matrix.vectors.shape[1] if matrix.vectors.ndim == 2 else 0), np.float32)
    sums = np.add.reduceat(matrix.vectors, matrix.group_starts, axis=0)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-10)
