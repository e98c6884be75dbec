"""What a stranger scores against a gallery: the impostor model behind "unknown".

Identification scores each identity by its core, the unit mean of its faces' vectors
(recognition.gallery.index.identity_scores), and names the best. How high a stranger's
best score goes depends on how many identities it was compared with and how many faces
stand behind each core, not on who is enrolled, so the threshold is a function of the
gallery's shape, measured once on a reference population of many people:

- tail(score, faces): the share of (probe, someone else's core of `faces` faces) pairs
  that score at least `score`. A core of several faces is nearer the middle of face
  space than one photo is, so strangers score a little higher against it (at 1e-4 of
  pairs, LFW folds 1-5: 0.59 against one face, 0.61 against a core of 2, 0.63 of 5),
  while the person's own photos score much higher. Measured for cores of CORE_SIZES
  faces (random subsets of the reference people's photos); an identity of k faces takes
  the tail of the smallest measured size at or above k, beyond the largest the largest.
  Each tail is extrapolated beyond its rarest measured pairs along the log-linear slope
  of its last decades, which is conservative for FaceNet's lighter-than-exponential tail.
- threshold(identity_faces, far): the score a stranger's best core reaches at most `far`
  of the time over a gallery whose identities have these numbers of faces:
  1 - prod over identities (1 - tail(score, faces)) = far.

Pure NumPy: no Django. measure() builds a model from labelled embeddings;
`manage.py measure_impostors` runs it on LFW and writes the small JSON file that
recognition loads (nothing is downloaded at run time).
"""

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

# Scores are binned this finely to count pairs: far below any difference a threshold
# needs, and 2,000 bins over [-1, 1].
BIN_WIDTH = 0.001


# A tail level is kept only where at least this many pairs reach it, so the rarest
# measured level is still a count, not an accident.
MIN_TAIL_PAIRS = 25


# The extrapolation's slope is fitted on the measured tail below this share of pairs.
SLOPE_FIT_BELOW = 1e-3


# Every this many bins is written out: interpolating between 0.005 steps loses nothing
# a threshold can tell, and keeps the committed file small.
WRITTEN_EVERY = 5


# Core sizes whose tails are measured. Past 5 faces the tail barely moves (LFW folds 1-5:
# cores of 10 faces, 17 people, within 0.01 of cores of 5 at 1e-2 to 1e-4), and 8 is
# the largest size with enough reference people (several dozen) to measure.
CORE_SIZES = (1, 2, 3, 5, 8)


# Random subsets drawn per reference person and core size above 1: more pairs for the
# rare levels, from the people there are.
SUBSETS_PER_PERSON = 10


@dataclass(frozen=True)
class Tail:
    """log10 of the share of different-person pairs scoring at least each score."""

    scores: list[float]  # ascending
    log10_tails: list[float]
    # d log10(tail) / d score beyond the last measured score (negative).
    slope: float

    def log10(self, score: float) -> float:
        if score >= self.scores[-1]:
            return self.log10_tails[-1] + self.slope * (score - self.scores[-1])
        return float(np.interp(score, self.scores, self.log10_tails))


@dataclass(frozen=True)
class ImpostorModel:
    """Different-person scores of one embedder (and chip) against cores of several sizes,
    measured on a reference population."""

    core_sizes: list[int]
    tails: list[Tail]
    # Where it was measured: the data set, its people, images and pairs.
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "tails", [tail if isinstance(tail, Tail) else Tail(**tail) for tail in self.tails]
        )

    def tail(self, score: float, faces: int = 1) -> float:
        """The share of comparisons with someone else's core of `faces` faces that reach `score`."""
        return 10 ** self.tails[int(self._buckets(np.array([faces]))[0])].log10(score)

    def _buckets(self, faces: np.ndarray) -> np.ndarray:
        """The measured core size (its index) identities of these many faces take: the
        smallest at or above, beyond the largest the largest."""
        return np.minimum(np.searchsorted(self.core_sizes, np.maximum(faces, 1)), len(self.core_sizes) - 1)

    def threshold(self, identity_faces, far: float) -> float:
        """The score a stranger's best identity reaches at most `far` of the time, over a
        gallery whose identities have these numbers of faces (any sequence of counts).

        Bisection on sum over identities of log(1 - tail) = log(1 - far): the left side
        falls as the score rises.
        """
        faces = np.asarray(identity_faces, dtype=np.int64).ravel()
        counts = np.bincount(self._buckets(faces), minlength=len(self.core_sizes))
        # An empty gallery is judged as its first identity of one face will be.
        counts[0] += not len(faces)
        target = math.log1p(-far)

        def survival(score: float) -> float:
            return sum(
                count * math.log1p(-min(10 ** tail.log10(score), 1 - 1e-12))
                for count, tail in zip(counts, self.tails, strict=True)
                if count
            )

        low, high = -1.0, 1.5
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (low, middle) if survival(middle) >= target else (middle, high)
        return high

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> "ImpostorModel":
        return cls(**json.loads(Path(path).read_text()))


def measure(vectors: np.ndarray, labels: np.ndarray, *, source: str, seed: int = 0) -> ImpostorModel:
    """The impostor model of L2-normalised `vectors` whose people are `labels`.

    For each size k of CORE_SIZES: the cores of every person with at least k faces
    (their one face for k = 1; SUBSETS_PER_PERSON random k-subsets above), each scored
    against every face of another person (measure_tail).
    """
    vectors, labels = np.asarray(vectors, np.float32), np.asarray(labels)
    generator = np.random.default_rng(seed)
    people, counts = np.unique(labels, return_counts=True)
    tails, pairs = [], 0
    for size in CORE_SIZES:
        cores, owners = [], []
        for person in people[counts >= size]:
            for subset in _core_subsets(np.flatnonzero(labels == person), size, generator):
                core = vectors[subset].sum(axis=0)
                cores.append(core / np.linalg.norm(core))
                owners.append(person)
        tail, counted = measure_tail(np.array(cores), np.array(owners), vectors, labels)
        tails.append(tail)
        pairs += counted
    return ImpostorModel(
        core_sizes=list(CORE_SIZES),
        tails=tails,
        source=f"{source}; {len(people):,} people, {len(labels):,} faces, {pairs:,} different-person pairs",
    )


def _core_subsets(rows: np.ndarray, size: int, generator: np.random.Generator) -> list[np.ndarray]:
    """The faces of one person's cores of `size`: each face alone for 1, else random subsets."""
    if size == 1:
        return [rows[index : index + 1] for index in range(len(rows))]
    return [generator.choice(rows, size=size, replace=False) for _ in range(SUBSETS_PER_PERSON)]


def measure_tail(
    cores: np.ndarray, owners: np.ndarray, vectors: np.ndarray, labels: np.ndarray, block: int = 1024
) -> tuple[Tail, int]:
    """The tail of every face's score against every core of another person, and how many
    pairs it counted.

    Scores are counted in BIN_WIDTH bins; the tail is kept where at least MIN_TAIL_PAIRS
    pairs reach it, and the slope of log10(tail) fitted on its part below SLOPE_FIT_BELOW.
    """
    bins = _bin(np.array([1.0]))[0] + 1
    counts = np.zeros(bins, np.int64)
    pairs = 0
    for first in range(0, len(vectors), block):
        rows = slice(first, first + block)
        scores = vectors[rows] @ cores.T
        other = labels[rows, None] != owners[None, :]
        pairs += int(other.sum())
        counts += np.bincount(_bin(scores[other]), minlength=bins)
    reach = _reach(counts)
    grid = -1 + BIN_WIDTH * np.arange(bins)
    kept = reach >= MIN_TAIL_PAIRS
    scores_kept, log_tails = grid[kept], np.log10(reach[kept] / pairs)
    fit = log_tails <= math.log10(SLOPE_FIT_BELOW)
    slope = float(np.polyfit(scores_kept[fit], log_tails[fit], 1)[0])
    # From where the tail starts to fall, every WRITTEN_EVERY-th bin and the last.
    written = np.flatnonzero(log_tails < -0.01)
    written = np.union1d(written[::WRITTEN_EVERY], written[-1:])
    tail = Tail(
        scores=[round(float(score), 4) for score in scores_kept[written]],
        log10_tails=[round(float(value), 4) for value in log_tails[written]],
        slope=round(slope, 4),
    )
    return tail, pairs


def _bin(scores: np.ndarray) -> np.ndarray:
    return np.clip(np.round((scores + 1) / BIN_WIDTH).astype(np.int64), 0, int(round(2 / BIN_WIDTH)))


def _reach(counts: np.ndarray) -> np.ndarray:
    """How many scores reach each bin: counts summed from the top down."""
    return np.cumsum(counts[::-1])[::-1]
