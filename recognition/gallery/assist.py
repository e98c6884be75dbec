"""Review assistance's arithmetic: each pending crop's identity core, score, lookalike and band.

Pure NumPy, so the job (recognition.services.review_assist) and the benchmark
(benchmarks/review_effort.py) run the same code. The idea is the one large scraped face
sets were cleaned with (VGGFace2, MS-Celeb-1M, WebFace260M): the dominant cluster of a
name's crops is that person, and crops far from it are noise.
"""

from dataclasses import dataclass

import numpy as np

from pipeline.quality import JUDGE_MIN_SHARPNESS, JUDGE_MIN_SIZE
from recognition.ml.impostors import ImpostorModel
from recognition.ml.scores import l2_normalise

# An identity's core is its approved faces once it has this many; before that, the
# dominant cluster of its own crops (most photos found for a name show that person).
CORE_MIN_APPROVED = 5


# The dominant cluster's seed is looked for among at most this many crops (seeded
# sample), so an identity of 5,000 crops costs a 2,000 x 5,000 product, not 5,000 x 5,000.
CLUSTER_SEED_SAMPLE = 2000


# Below this detector confidence a crop is likely not a face: YuNet and MTCNN give real
# faces 0.8 and above; the crops below it in the CelebA subset are ears, hands, prints.
NOT_FACE_CONFIDENCE = 0.6


# One crop in this many likely-right crops is a blind check (2-5% asked; 3%).
BLIND_CHECK_SHARE = 0.03


BAND_LIKELY, BAND_LOOK, BAND_OTHER, BAND_NOT_FACE = "likely", "look", "other", "not_face"


@dataclass(frozen=True)
class AssistBars:
    """The scores that split crops into bands, derived from the embedder's calibration
    (AssistBars.derive); any other bars only in tests."""

    # A crop scoring at least this against its own identity's core is likely this person
    # (unless another identity claims it)...
    likely: float
    # ...and below this it is likely another person.
    other: float
    # Another identity's core scoring at least this claims the crop: the crop "looks like" it.
    lookalike: float

    @classmethod
    def derive(cls, model: ImpostorModel, *, verification: float, far: float, compared: int) -> "AssistBars":
        """The bars for crops each compared with `compared` other identities' cores.

        A core is the unit mean of several faces, and identification scores identities
        by theirs too (recognition.gallery.index.identity_scores). Strangers score a
        little higher against a core of many faces than of few, so every core is taken
        as of the impostor model's largest measured size: the bars err towards "needs a
        look".

        1. likely: the score a stranger's photo reaches against one identity's core at
           most `far` of the time, by the impostor model.
        2. other: the 1:1 threshold, below which two faces are judged different people.
        3. lookalike: the score a stranger's best match among `compared` identities'
           cores reaches at most `far` of the time: the open-set bar at which
           recognition would name the crop as that identity, not chance.
        None is below the 1:1 threshold.
        """

        def bar(identities: int) -> float:
            return max(verification, model.threshold([model.core_sizes[-1]] * identities, far=far))

        return cls(likely=bar(1), other=verification, lookalike=bar(max(compared, 1)))


@dataclass
class CropsAssessment:
    """Per crop, in the order given: what the review page shows."""

    core_scores: np.ndarray  # cosine similarity to its identity's core
    core_sources: np.ndarray  # "approved" or "cluster"
    lookalike_ids: np.ndarray  # the nearest other identity (-1: none)
    lookalike_scores: np.ndarray  # its core's similarity (nan: none)
    bystanders: np.ndarray  # bool
    bands: np.ndarray  # BAND_*


def dominant_cluster_core(vectors: np.ndarray, threshold: float, seed: int = 0) -> np.ndarray:
    """The unit mean of the largest group of mutually similar crops of one identity.

    1. Find the seed: of (at most CLUSTER_SEED_SAMPLE) crops, the one with the most
       crops at or above `threshold` (the 1:1 threshold) to it.
    2. The core is the mean of the seed's neighbours.
    3. Twice: the members are the crops at or above `threshold` to the core, and the
       core becomes their mean; a core whose members vanish keeps the last one.
    """
    if len(vectors) <= 2:
        return l2_normalise(vectors.mean(axis=0))
    generator = np.random.default_rng(seed)
    sample = vectors
    if len(vectors) > CLUSTER_SEED_SAMPLE:
        sample = vectors[generator.choice(len(vectors), CLUSTER_SEED_SAMPLE, replace=False)]
    neighbours = (sample @ vectors.T) >= threshold
    core = l2_normalise(vectors[neighbours[neighbours.sum(axis=1).argmax()]].mean(axis=0))
    for _ in range(2):
        members = vectors @ core >= threshold
        if not members.any():
            break
        core = l2_normalise(vectors[members].mean(axis=0))
    return core


def identity_cores_for(
    identity_ids: np.ndarray, vectors: np.ndarray, approved_cores: dict[int, np.ndarray], threshold: float
) -> tuple[dict[int, np.ndarray], dict[int, str]]:
    """Each identity's core: its approved faces' (given, for identities with at least
    CORE_MIN_APPROVED), otherwise the dominant cluster of its crops here."""
    cores, sources = {}, {}
    for identity_id in np.unique(identity_ids):
        identity_id = int(identity_id)
        if identity_id in approved_cores:
            cores[identity_id], sources[identity_id] = approved_cores[identity_id], "approved"
        else:
            own = vectors[identity_ids == identity_id]
            cores[identity_id], sources[identity_id] = dominant_cluster_core(own, threshold), "cluster"
    return cores, sources


def crops_assess(
    *,
    vectors: np.ndarray,
    identity_ids: np.ndarray,
    photo_ids: np.ndarray,
    sizes: np.ndarray,
    confidences: np.ndarray,
    sharpness: np.ndarray,
    bars: AssistBars,
    approved_cores: dict[int, np.ndarray] | None = None,
    other_cores: dict[int, np.ndarray] | None = None,
) -> CropsAssessment:
    """Score and band crops of one or more identities.

    1. Each identity's core (identity_cores_for); `other_cores` adds identities the crops
       are not of, as lookalikes only (the approved gallery's).
    2. A crop's score is its cosine similarity to its own core; its lookalike is the
       most similar other core.
    3. One photo, one person: of an identity's crops from one photo, only the one that
       scores highest can be the person; the others are bystanders ("other").
    4. Another identity claims a crop when its lookalike scores at least bars.lookalike.
    5. Bands: a crop too small, too blurred or with a low detector confidence is likely
       not a face; a bystander, a score under bars.other, or a claim by a lookalike
       closer than its own core is likely another person; a score at or above
       bars.likely with no claim is likely this person; the rest need a look (a
       score between the bars, or a claim its own core still beats).
    NaN confidences (detectors without one) count as confident.
    """
    vectors = l2_normalise(np.asarray(vectors, dtype=np.float32))
    # A dominant cluster's members are the crops its seed would verify as one person:
    # the 1:1 threshold, which is bars.other.
    cores, sources = identity_cores_for(identity_ids, vectors, approved_cores or {}, bars.other)
    for identity_id, core in (other_cores or {}).items():
        cores.setdefault(int(identity_id), core)
    core_ids = np.array(sorted(cores), dtype=np.int64)
    core_matrix = np.stack([cores[identity_id] for identity_id in core_ids]).astype(np.float32)
    similarities = vectors @ core_matrix.T
    own_column = np.searchsorted(core_ids, identity_ids)
    rows = np.arange(len(vectors))
    core_scores = similarities[rows, own_column]
    similarities[rows, own_column] = -np.inf
    lookalike_columns = similarities.argmax(axis=1) if len(core_ids) > 1 else np.zeros(len(rows), int)
    has_lookalike = len(core_ids) > 1
    lookalike_scores = similarities[rows, lookalike_columns] if has_lookalike else np.full(len(rows), np.nan)
    lookalike_ids = core_ids[lookalike_columns] if has_lookalike else np.full(len(rows), -1)
    bystanders = _bystanders(identity_ids, photo_ids, core_scores)

    claimed = np.nan_to_num(lookalike_scores, nan=-1.0) >= bars.lookalike
    confidences = np.nan_to_num(np.asarray(confidences, dtype=np.float64), nan=1.0)
    not_face = (
        (np.asarray(sizes) < JUDGE_MIN_SIZE)
        | (np.asarray(sharpness) < JUDGE_MIN_SHARPNESS)
        | (confidences < NOT_FACE_CONFIDENCE)
    )
    other = bystanders | (core_scores < bars.other) | (claimed & (lookalike_scores > core_scores))
    likely = (core_scores >= bars.likely) & ~claimed
    bands = np.where(
        not_face, BAND_NOT_FACE, np.where(other, BAND_OTHER, np.where(likely, BAND_LIKELY, BAND_LOOK))
    )
    return CropsAssessment(
        core_scores=core_scores,
        core_sources=np.array([sources[int(identity_id)] for identity_id in identity_ids]),
        lookalike_ids=lookalike_ids,
        lookalike_scores=lookalike_scores,
        bystanders=bystanders,
        bands=bands,
    )


def _bystanders(identity_ids: np.ndarray, photo_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """True for every crop but the best-scoring one of each (identity, photo) pair."""
    order = np.lexsort((-scores, photo_ids, identity_ids))
    first = np.r_[
        True,
        (identity_ids[order][1:] != identity_ids[order][:-1])
        | (photo_ids[order][1:] != photo_ids[order][:-1]),
    ]
    bystanders = np.zeros(len(scores), bool)
    bystanders[order] = ~first
    return bystanders


def is_blind_check(face_id: int) -> bool:
    """Whether a likely-right crop goes through ordinary review unbanded: a fixed pseudo-random
    BLIND_CHECK_SHARE of face ids (Knuth's multiplicative hash), the same in every run."""
    return (face_id * 2654435761) % 2**32 < BLIND_CHECK_SHARE * 2**32
