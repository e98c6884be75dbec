"""Reads for curating the gallery: an identity's approved faces farthest from its core
first (the ones least like the rest, most often filed under the wrong name), and pairs
of identities whose cores are so close they are probably one person under two names
(duplicate names are common in scraped lists and public data sets alike)."""

from dataclasses import dataclass

import numpy as np

from recognition.gallery.cache import gallery_matrix
from recognition.gallery.index import GalleryMatrix
from recognition.gallery.lookalikes import approved_face_rows
from recognition.gallery.search import LiveNames
from recognition.gallery.thresholds import verification_threshold

# Cores compared at once: a 1,000 x 5,000 block of similarities is 20 MB of float32.
PAIRS_BLOCK = 1000
# Pairs the page lists, closest first; more are counted but not shown.
PAIRS_SHOWN = 500


@dataclass(frozen=True)
class CoreDistance:
    face_id: int
    # 1 - the cosine similarity between the face and its identity's core.
    distance: float


def identity_faces_by_core_distance(identity_id: int) -> list[CoreDistance]:
    """The identity's approved faces with a FaceNet row, farthest from its core first.

    The core is the unit mean of these same rows (as GalleryMatrix.cores), read from the
    database rather than the in-memory gallery, which leaves archived identities out and
    may lag a decision by a second.
    """
    rows = approved_face_rows([identity_id]).get(identity_id)
    if rows is None:
        return []
    core = rows.vectors.sum(axis=0)
    core /= max(float(np.linalg.norm(core)), 1e-10)
    distances = 1.0 - rows.vectors @ core
    order = np.argsort(-distances, kind="stable")
    return [CoreDistance(rows.face_ids[i], float(distances[i])) for i in order]


@dataclass(frozen=True)
class CorePairs:
    """Pairs of identities (first id < second id) whose cores score at least a threshold,
    best first."""

    first_ids: np.ndarray
    second_ids: np.ndarray
    scores: np.ndarray


def close_core_pairs(matrix: GalleryMatrix, threshold: float, block: int = PAIRS_BLOCK) -> CorePairs:
    """Every pair of identities of the matrix whose cores' cosine similarity reaches the
    threshold, highest first.

    1. cores: each identity's unit mean vector (GalleryMatrix.cores).
    2. For each block of `block` cores, their similarities with every later core (the
       upper triangle only, so each pair is scored once and no core with itself).
    3. Keep the pairs at or above the threshold; sort all kept pairs by score.
    """
    cores = matrix.cores
    ids = matrix.group_identity_ids
    firsts, seconds, scores = [], [], []
    for start in range(0, len(cores), block):
        stop = min(start + block, len(cores))
        similarities = cores[start:stop] @ cores[start:].T
        rows, columns = np.nonzero(similarities >= threshold)
        # Row r is core start + r and column c core start + c: keep c > r, each pair once
        # and no core with itself (few pass the threshold, so this filter costs nothing).
        later = columns > rows
        rows, columns = rows[later], columns[later]
        firsts.append(ids[rows + start])
        seconds.append(ids[columns + start])
        scores.append(similarities[rows, columns])
    if not firsts:
        return CorePairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    first_ids, second_ids, pair_scores = (np.concatenate(parts) for parts in (firsts, seconds, scores))
    order = np.argsort(-pair_scores, kind="stable")
    return CorePairs(first_ids[order], second_ids[order], pair_scores[order])


@dataclass(frozen=True)
class SamePersonPair:
    first_id: int
    second_id: int
    score: float


def same_person_pairs(limit: int = PAIRS_SHOWN) -> tuple[list[SamePersonPair], int, float]:
    """Live identities whose cores are closer than the 1:1 threshold (verification_threshold:
    two faces that close are one person), closest first: (the first `limit` pairs, how
    many pairs there are, the threshold)."""
    threshold = verification_threshold()
    pairs = close_core_pairs(gallery_matrix(), threshold)
    names = LiveNames().read(sorted({int(i) for i in np.r_[pairs.first_ids, pairs.second_ids]}))
    live = [
        SamePersonPair(int(first), int(second), float(score))
        for first, second, score in zip(pairs.first_ids, pairs.second_ids, pairs.scores, strict=True)
        if int(first) in names and int(second) in names
    ]
    return live[:limit], len(live), threshold
