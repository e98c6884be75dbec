"""What a stranger scores against a gallery: the impostor model behind "unknown".

A stranger's photo is compared with every enrolled face, and the gallery names it after
its best match. How high that best match goes depends on how many chances it had (the
gallery's size), not on who is enrolled, so the threshold is a function of the gallery's
size, measured once on a reference population of many people:

- tail(score): the share of different-person pairs (a probe against one face of someone
  else) that score at least `score`, read from the reference population's pairs, and
  extrapolated beyond its rarest measured pairs along the log-linear slope of its last
  decades, which is conservative for FaceNet's lighter-than-exponential tail.
- chances(identities, faces): how many independent comparisons a gallery amounts to.
  Faces of one identity are alike, so each face beyond an identity's first adds only
  `extra_face` of a chance (measured on the reference people with several photos).
- threshold(identities, faces, far): the score a stranger's best match reaches at most
  `far` of the time: 1 - (1 - tail)^chances = far.

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


@dataclass(frozen=True)
class ImpostorModel:
    """Different-person scores of one embedder (and chip), measured on a reference population."""

    # Ascending scores, and log10 of the share of different-person pairs scoring at least each.
    scores: list[float]
    log10_tails: list[float]
    # d log10(tail) / d score beyond the last measured score (negative).
    slope: float
    # What each face of an identity beyond its first adds to a stranger's chances (0..1).
    extra_face: float
    # Where it was measured: the data set, its people, images and pairs.
    source: str

    def tail(self, score: float) -> float:
        """The share of single comparisons with someone else that reach `score`."""
        if score >= self.scores[-1]:
            return 10 ** (self.log10_tails[-1] + self.slope * (score - self.scores[-1]))
        return 10 ** float(np.interp(score, self.scores, self.log10_tails))

    def chances(self, *, identities: int, faces: int) -> float:
        """The independent comparisons a gallery of these identities and faces amounts to."""
        return max(identities, 1) + self.extra_face * max(faces - identities, 0)

    def threshold(self, *, identities: int, faces: int, far: float) -> float:
        """The score a stranger's best match over such a gallery reaches at most `far` of the time."""
        chances = self.chances(identities=identities, faces=faces)
        per_comparison = -math.expm1(math.log1p(-far) / chances)
        target = math.log10(per_comparison)
        # log10_tails descends as scores ascend: interpolate on the reversed arrays.
        if target >= self.log10_tails[-1]:
            return float(np.interp(target, self.log10_tails[::-1], self.scores[::-1]))
        return self.scores[-1] + (target - self.log10_tails[-1]) / self.slope

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> "ImpostorModel":
        return cls(**json.loads(Path(path).read_text()))


def measure(vectors: np.ndarray, labels: np.ndarray, *, source: str, block: int = 1024) -> ImpostorModel:
    """The impostor model of L2-normalised `vectors` whose people are `labels`.

    1. Score every probe against every face of another person (blocks of rows), and
       count the scores in BIN_WIDTH bins: the single-comparison tail.
    2. For each probe and each other person with several faces, count whether that
       person's best face reaches each bin.
    3. extra_face: if each face beyond a person's first added a fraction b of a chance,
       best-of-person exceedances would be tail * (pairs + b * further faces); solve
       for b at each level between 1e-2 and SLOPE_FIT_BELOW and take the median.
    4. Keep the tail where at least MIN_TAIL_PAIRS pairs reach it; fit the slope of
       log10(tail) on its part below SLOPE_FIT_BELOW.
    """
    order = np.argsort(labels, kind="stable")
    vectors, labels = np.asarray(vectors, np.float32)[order], labels[order]
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    sizes = np.diff(np.r_[starts, len(labels)])
    several = sizes > 1
    bins = _bin(np.array([1.0]))[0] + 1
    pair_counts, best_counts = np.zeros(bins, np.int64), np.zeros(bins, np.int64)
    pairs = person_pairs = further_faces = 0
    for first in range(0, len(vectors), block):
        rows = slice(first, first + block)
        scores = vectors[rows] @ vectors.T
        own = labels[rows, None] == labels[None, :]
        pairs += int((~own).sum())
        pair_counts += np.bincount(_bin(scores[~own]), minlength=bins)
        scores[own] = -2.0
        best = np.maximum.reduceat(scores, starts, axis=1)[:, several]
        others = best > -2.0
        person_pairs += int(others.sum())
        further_faces += int((others * (sizes[several] - 1)).sum())
        best_counts += np.bincount(_bin(best[others]), minlength=bins)
    tail = _reach(pair_counts) / pairs
    grid = -1 + BIN_WIDTH * np.arange(bins)
    kept = _reach(pair_counts) >= MIN_TAIL_PAIRS
    scores_kept, log_tails = grid[kept], np.log10(tail[kept])
    fit = tail[kept] <= SLOPE_FIT_BELOW
    slope = float(np.polyfit(scores_kept[fit], log_tails[fit], 1)[0])
    levels = (tail <= 1e-2) & (tail >= SLOPE_FIT_BELOW)
    extra = (_reach(best_counts)[levels] / tail[levels] - person_pairs) / max(further_faces, 1)
    extra_face = float(np.clip(np.median(extra), 0.0, 1.0)) if levels.any() else 1.0
    # From where the tail starts to fall, every WRITTEN_EVERY-th bin and the last.
    written = np.flatnonzero(log_tails < -0.01)
    written = np.union1d(written[::WRITTEN_EVERY], written[-1:])
    return ImpostorModel(
        scores=[round(float(score), 4) for score in scores_kept[written]],
        log10_tails=[round(float(value), 4) for value in log_tails[written]],
        slope=round(slope, 4),
        extra_face=round(extra_face, 4),
        source=f"{source}; {len(sizes):,} people, {len(labels):,} faces, {pairs:,} different-person pairs",
    )


def _bin(scores: np.ndarray) -> np.ndarray:
    return np.clip(np.round((scores + 1) / BIN_WIDTH).astype(np.int64), 0, int(round(2 / BIN_WIDTH)))


def _reach(counts: np.ndarray) -> np.ndarray:
    """How many scores reach each bin: counts summed from the top down."""
    return np.cumsum(counts[::-1])[::-1]
