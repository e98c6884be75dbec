"""Every threshold that decides whether a face is named: why a face was called unknown.

- The gallery (1:N): a face is unknown when its best identity (scored by its core, the
  mean of its faces) scores below gallery_threshold(). For FaceNet and the fused
  FaceNet + dlib embedder it is the score a stranger's best match over a gallery of this
  many identities, of these numbers of faces, reaches at most FACESITE_OPEN_SET_FAR of
  the time, read from the embedder's impostor model measured on LFW's people
  (recognition.ml.impostors): it depends on the gallery's shape, not on who is in it,
  and exists from the first identity. A trained model's embedding has no such model, so
  its gallery keeps the estimate made on the gallery's own faces. Either way never
  below the embedder's 1:1 threshold, and GalleryThreshold.rule says which decided.
- Verification (1:1): two faces are one person at embedder_one_to_one() or above for
  the embedder that compares them, LFW's figure for its chip: verification_threshold()
  for FaceNet's, the fused embedder's own for FaceNet + dlib.
- A trained model: a face is unknown when its top softmax score is below the model's
  unknown_threshold, which model_unknown_threshold() calibrates on the validation split.
- confidence_word() says how a score stands against whichever threshold applies.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
from django.conf import settings

from recognition.embedders.dlib_resnet import FusedEmbedder
from recognition.embedders.facenet import FaceNetEmbedder
from recognition.gallery.cache import EMBEDDER, calibration_get, calibration_put, gallery_matrix
from recognition.gallery.index import GalleryMatrix, identity_scores
from recognition.ml.impostors import ImpostorModel
from recognition.ml.scores import best_threshold, top_score_keeping

# Cosine similarity at which two FaceNet chips are the same person (1:1): the mean of
# the ten best-accuracy thresholds of the LFW protocol with chip()'s preprocessing and
# plain cosine (0.349, 98.7% accuracy; see `manage.py evaluate_lfw`).
# FACESITE_VERIFICATION_THRESHOLD overrides it.
LFW_VERIFICATION_THRESHOLD = 0.35


# A face is named confidently where a stranger would be named this many times less
# often than at the threshold (FACESITE_OPEN_SET_FAR).
CONFIDENT_FAR_DIVISOR = 10


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


def confidence_word(score: float, threshold: float, confident: float | None = None) -> str:
    """Plain words for how a score stands against the threshold below which a face is
    unknown, and the one above which it is confident (UNCERTAIN_BAND above it unless told)."""
    if score < threshold:
        return "unknown"
    confident = threshold + UNCERTAIN_BAND if confident is None else confident
    return "confident" if score >= confident else "uncertain"


def model_unknown_threshold(validation_scores: np.ndarray) -> float:
    """The top softmax score that keeps UNKNOWN_KEEP of validation faces (see UNKNOWN_RULE)."""
    return top_score_keeping(validation_scores, UNKNOWN_KEEP)


def verification_threshold() -> float:
    """FaceNet's cosine similarity at or above which two faces are the same person (1:1).

    LFW's, not the gallery's: 1:1 compares two photos the gallery never saw, which is
    what the LFW protocol measures, and it does not move as the gallery grows.
    """
    return settings.FACESITE_VERIFICATION_THRESHOLD or LFW_VERIFICATION_THRESHOLD


def open_set_threshold(matrix: GalleryMatrix, far: float | None = None, seed: int = 0) -> float | None:
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
    far = settings.FACESITE_OPEN_SET_FAR if far is None else far
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


@dataclass(frozen=True)
class GalleryThreshold:
    """The gallery's bars for one embedder, and in plain words what set them."""

    # A face whose best identity scores below this is unknown...
    named: float
    # ...and at or above this it is named confidently (between the two: uncertain).
    confident: float
    # Which rule decided `named`, for the page and the API.
    rule: str


# The embedders whose impostor model was measured, and its file.
IMPOSTOR_MODEL_FILES = {
    FaceNetEmbedder.name: FaceNetEmbedder.impostor_model_file,
    FusedEmbedder.name: FusedEmbedder.impostor_model_file,
}


@cache
def impostor_model(embedder: str) -> ImpostorModel | None:
    """The embedder's impostor model, where one was measured: FaceNet's and the fused one's."""
    path = IMPOSTOR_MODEL_FILES.get(embedder)
    return ImpostorModel.load(path) if path else None


def embedder_one_to_one(embedder: str) -> float:
    """The 1:1 threshold of an embedder with an impostor model: verification_threshold()
    for FaceNet, the fused embedder's own LFW figure for it."""
    return (
        FusedEmbedder.verification_threshold if embedder == FusedEmbedder.name else verification_threshold()
    )


def gallery_threshold_rule(embedder: str = EMBEDDER) -> GalleryThreshold:
    """The score below which a face is "unknown" for this embedder's gallery, and why.

    FaceNet and the fused embedder: the impostor model's threshold for identities of
    these many faces (a stranger named at most FACESITE_OPEN_SET_FAR of the time;
    confident where a stranger would be named CONFIDENT_FAR_DIVISOR times less often),
    never below the embedder's 1:1 threshold. A trained model's embedder: the estimate
    on the gallery's own faces (open_set_threshold), never below its 1:1
    pair_threshold(), recomputed only when the gallery has grown or shrunk by
    CALIBRATION_REUSE.
    """
    matrix = gallery_matrix(embedder)
    identities, faces = len(matrix.group_starts), len(matrix.vectors)
    model = impostor_model(embedder)
    if model is None:
        return _gallery_estimate_rule(embedder, matrix)
    far, floor = settings.FACESITE_OPEN_SET_FAR, embedder_one_to_one(embedder)
    named, confident, measured = impostor_bars(model, matrix.group_sizes, far=far, floor=floor)
    people = "person" if identities == 1 else "people"
    size = f"{identities:,} {people} and {faces:,} face{'' if faces == 1 else 's'}"
    if measured >= floor:
        rule = (
            f"A stranger's best match among {size} (each person scored by the mean of their faces) "
            f"reaches {measured:.2f} at most {far:.1%} of the time (measured on LFW's people)."
        )
    else:
        rule = (
            f"The 1:1 threshold {floor:.2f}: below it two faces are different people. Among only {size} "
            f"a stranger's best match reaches {measured:.2f} at most {far:.1%} of the time."
        )
    return GalleryThreshold(named, confident, rule)


def impostor_bars(
    model: ImpostorModel, identity_faces, *, far: float, floor: float
) -> tuple[float, float, float]:
    """(named, confident, measured) for a gallery whose identities have these numbers of
    faces: the impostor model's threshold at `far` (measured) never below the 1:1 floor,
    and the confident bar where a stranger is named CONFIDENT_FAR_DIVISOR times less
    often, at least half an UNCERTAIN_BAND above the floor."""
    measured = model.threshold(identity_faces, far=far)
    confident = model.threshold(identity_faces, far=far / CONFIDENT_FAR_DIVISOR)
    return max(measured, floor), max(confident, floor + UNCERTAIN_BAND / 2), measured


def _gallery_estimate_rule(embedder: str, matrix: GalleryMatrix) -> GalleryThreshold:
    calibration = calibration_get(embedder)
    if calibration is None or not calibration.fits(matrix):
        threshold = max(open_set_threshold(matrix) or 0.0, pair_threshold(matrix))
        calibration = Calibration(len(matrix.vectors), len(matrix.group_starts), threshold)
        calibration_put(embedder, calibration)
    rule = (
        "Estimated on the gallery's own faces, each compared with every other person's "
        f"(no impostor model was measured for this embedding); {len(matrix.vectors):,} faces."
    )
    return GalleryThreshold(calibration.threshold, calibration.threshold + UNCERTAIN_BAND, rule)


def gallery_threshold(embedder: str = EMBEDDER) -> float:
    """The identity score below which a face is "unknown" (gallery_threshold_rule)."""
    return gallery_threshold_rule(embedder).named


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
    sizes = matrix.group_sizes
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
