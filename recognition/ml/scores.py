"""Scores and the arithmetic of thresholds: cosine similarities of embeddings, top-k of
softmax outputs, and the thresholds that best separate two kinds of scores."""

from dataclasses import dataclass

import numpy as np

# Candidates an answer lists for a face, best first: the gallery's and a model's alike.
TOP_K = 5


@dataclass(frozen=True)
class Match:
    """One candidate identity for a face; lists of them are ordered best first."""

    identity_id: int | None
    name: str
    # Cosine similarity for a gallery match, softmax probability for a trained model's.
    score: float
    # A gallery match's enrolled face that scored it, so a user can check the match.
    face_id: int | None = None


def top_matches(classes: list[dict], scores: np.ndarray, k: int = TOP_K) -> list[Match]:
    """The k best classes ({"identity_id", "name"} each) of one row of scores, best first."""
    best = np.argsort(-scores)[:k]
    return [Match(classes[i]["identity_id"], classes[i]["name"], float(scores[i])) for i in best]


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Each vector (the last axis) scaled to unit length; a zero vector stays zero."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-10)


def cosine_scores(first: np.ndarray, second: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Row-wise cosine similarity, after subtracting `mean` from both sides if given."""
    if mean is not None:
        first, second = first - mean, second - mean
    first = first / np.linalg.norm(first, axis=1, keepdims=True)
    second = second / np.linalg.norm(second, axis=1, keepdims=True)
    return np.sum(first * second, axis=1)


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    top = np.argsort(-scores, axis=1)[:, :k]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The similarity threshold (same person when score >= threshold) with the best
    accuracy on these pairs: the midpoint between two neighbouring sorted scores,
    found in one pass with cumulative counts."""
    order = np.argsort(scores)
    sorted_scores, sorted_same = scores[order], same[order].astype(np.int64)
    # Threshold just above sorted_scores[i - 1]: pairs 0..i-1 say "different".
    different_right = np.concatenate([[0], np.cumsum(1 - sorted_same)])
    same_wrong = np.concatenate([[0], np.cumsum(sorted_same)])
    correct = different_right + (sorted_same.sum() - same_wrong)
    best = int(np.argmax(correct))
    candidates = np.concatenate(
        [[sorted_scores[0] - 1e-6], (sorted_scores[:-1] + sorted_scores[1:]) / 2, [sorted_scores[-1] + 1e-6]]
    )
    return float(candidates[best])


def threshold_at_far(impostor_scores: np.ndarray, far: float) -> float:
    """The lowest threshold at which at most `far` of these impostor pairs score at or above it."""
    ranked = np.sort(impostor_scores)[::-1]
    allowed = int(np.floor(far * len(ranked)))
    if allowed >= len(ranked):
        return float(ranked[-1])
    return float(ranked[allowed]) + 1e-7


def top_score_keeping(scores: np.ndarray, keep: float) -> float:
    """The top score (row maximum) that at least `keep` of the rows reach; 0.0 for no rows.

    The k-th lowest top score, with k the most rows that may fall below it: every row
    scoring at least that much is kept, which is at least `keep` of them.
    """
    if not len(scores):
        return 0.0
    top_scores = np.sort(scores.max(axis=1))
    return float(top_scores[int(np.floor((1 - keep) * len(top_scores)))])
