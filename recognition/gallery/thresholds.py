"""Every threshold that decides whether a face is named: why a face was called unknown.

- The gallery (1:N): a face is unknown when its best identity scores below
  gallery_threshold(): the open-set estimate (a stranger named at most OPEN_SET_FAR of
  the time), never below the 1:1 threshold.
- Verification (1:1): two faces are one person at verification_threshold() or above,
  LFW's figure for FaceNet's chip.
- A trained model: a face is unknown when its top softmax score is below the model's
  unknown_threshold, which model_unknown_threshold() calibrates on the validation split.
- confidence_word() says how a score stands against whichever threshold applies.
"""

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from recognition.gallery.cache import EMBEDDER, calibration_get, calibration_put, gallery_matrix
from recognition.gallery.index import GalleryMatrix, identity_scores
from recognition.ml.scores import best_threshold, top_score_keeping

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
# How far above its threshold a score must be to be called confident rather than
# uncertain (cosine similarity for the gallery, probability for a trained model).
UNCERTAIN_BAND = 0.1
# A model's threshold keeps this fraction of validation faces: it is the top softmax
# score below which the lowest 5% of validation faces fall.
UNKNOWN_KEEP = 0.95
UNKNOWN_RULE = (
    "The top softmax score below which the lowest 5% of validation faces fall: 95% of faces "
    "of known identities are accepted, whether the model names them rightly or not."
)


def confidence_word(score: float, threshold: float) -> str:
    """Plain words for how a score stands against the threshold below which a face is unknown."""
    if score < threshold:
        return "unknown"
    return "confident" if score >= threshold + UNCERTAIN_BAND else "uncertain"


def model_unknown_threshold(validation_scores: np.ndarray) -> float:
    """The top softmax score that keeps UNKNOWN_KEEP of validation faces (see UNKNOWN_RULE)."""
    return top_score_keeping(validation_scores, UNKNOWN_KEEP)


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
    calibration = calibration_get(embedder)
    if calibration is None or not calibration.fits(matrix):
        floor = verification_threshold() if embedder == EMBEDDER else pair_threshold(matrix)
        threshold = max(open_set_threshold(matrix) or 0.0, floor)
        calibration = Calibration(len(matrix.vectors), len(matrix.group_starts), threshold)
        calibration_put(embedder, calibration)
    return calibration.threshold


def pair_threshold(matrix: GalleryMatrix, pairs: int = CALIBRATION_PAIRS, seed: int = 0) -> float:
    """A 1:1 threshold estimated on the gallery: the best-accuracy cosine threshold over
    sampled pairs of faces of one identity and of two.

    Optimistic for a trained model's embedder: the gallery holds the faces the model was
    trained on, whose same-person pairs it pulls closer than it would a stranger's photos.
    It only stands in for the LFW figure FaceNet has, which no other embedding can reuse.

    1. Sample (seeded) a face of an identity that has another, and one of its other faces.
    2. Sample pairs of faces at random and keep those of two identities.
    3. Return best_threshold (recognition.ml.scores) over both kinds of pairs. Without a pair of
       each kind (one identity, or one face each) there is nothing to tell apart, and
       1.0 is returned: no face is named.
    """
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
