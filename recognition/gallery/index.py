"""The gallery in memory: one embedder's rows as a matrix grouped by identity, and the
score identification gives each identity. Pure NumPy; the rows come from gallery.cache."""

from dataclasses import dataclass
from functools import cached_property

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
        self.group_sizes = np.diff(np.r_[self.group_starts, len(ids)])

    def groups_of(self, rows: np.ndarray) -> np.ndarray:
        """The identity (its index in group_identity_ids) of each of these rows."""
        return np.searchsorted(self.group_starts, rows, side="right") - 1

    @cached_property
    def sums(self) -> np.ndarray:
        """(identities, dimension) float32: the sum of each identity's vectors (rows_matrix
        carries them over from the matrix it extends)."""
        if not len(self.vectors):
            return np.zeros((0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), np.float32)
        return np.add.reduceat(self.vectors, self.group_starts, axis=0)

    @cached_property
    def cores(self) -> np.ndarray:
        """(identities, dimension) float32: each identity's core, the unit mean of its
        faces' vectors, in the order of group_identity_ids.

        The mean direction, not a medoid: one face filed under the wrong name moves it by
        1/n of its faces, and it costs one pass over the rows (0.5 s at 100,000 rows on a
        busy 2-core machine) when a process loads the gallery, and only the new rows'
        share when it adds to its copy (rows_matrix).
        """
        norms = np.maximum(np.linalg.norm(self.sums, axis=1, keepdims=True), 1e-10)
        return self.sums / norms


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
    added_ids, added_vectors = identity_ids, vectors
    if base is not None:
        identity_ids = np.concatenate([base.identity_ids, identity_ids])
        face_ids = np.concatenate([base.face_ids, face_ids])
        vectors = np.concatenate([base.vectors, vectors])
    order = np.argsort(identity_ids, kind="stable")
    matrix = GalleryMatrix(signature, vectors[order], identity_ids[order], face_ids[order])
    if base is not None and "sums" in vars(base):
        matrix.sums = _sums_extended(base, matrix, added_ids, added_vectors)
    return matrix


def _sums_extended(base: GalleryMatrix, matrix: GalleryMatrix, identity_ids: np.ndarray, vectors: np.ndarray):
    """The matrix's per-identity sums from those of the base it extends and the rows added."""
    sums = np.zeros((len(matrix.group_identity_ids), matrix.vectors.shape[1]), np.float32)
    sums[np.searchsorted(matrix.group_identity_ids, base.group_identity_ids)] = base.sums
    np.add.at(sums, np.searchsorted(matrix.group_identity_ids, identity_ids), vectors)
    return sums


def identity_scores(matrix: GalleryMatrix, embeddings: np.ndarray) -> np.ndarray:
    """(M, identities): each identity's score for each query, the cosine similarity of
    its core (the unit mean of its faces).

    The core rather than the best face: a person's own photos score much higher against
    the mean of several of their faces (CelebA, FaceNet: median 0.83 against 0.65 for
    one face), while a stranger's score rises far less (benchmarks/open_set.py), and a
    stranger gets one chance per identity instead of nearly one per face. An identity
    with one face is scored by that face. The impostor model (recognition.ml.impostors)
    was measured on the same score, cores of each size.
    """
    return np.asarray(embeddings, dtype=np.float32) @ matrix.cores.T


def own_core_scores(matrix: GalleryMatrix, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each vector's score against its own identity's core with itself taken out, the
    vector being the matrix row `rows` (-inf when that leaves the identity no face).

    (v . S - v . v) / |S - v| for the identity's sum S: one row of arithmetic per face,
    not a new core per face.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    groups = matrix.groups_of(rows)
    sums = matrix.sums[groups].astype(np.float64)
    dot = np.einsum("ij,ij->i", vectors, sums)
    self_dot = np.einsum("ij,ij->i", vectors, vectors)
    rest = np.maximum(np.einsum("ij,ij->i", sums, sums) - 2 * dot + self_dot, 0.0)
    alone = matrix.group_sizes[groups] <= 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (dot - self_dot) / np.sqrt(rest)
    return np.where(alone, -np.inf, scores)
