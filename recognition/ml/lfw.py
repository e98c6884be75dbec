"""The LFW View 2 verification protocol: 10 folds of 300 same and 300 different pairs.

For each fold, the threshold is chosen on the other nine folds (best accuracy) and
tested on it; TAR at FAR=0.001 picks its threshold from the nine folds' impostor pairs
the way the FaceNet repository's `calculate_val` does. Scores are cosine similarities of
the embeddings, after subtracting the mean embedding of the nine training folds (FaceNet's
`--subtract_mean`, which centres the embeddings on this data set).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facesite.errors import FacesiteError
from recognition.ml.scores import best_threshold, cosine_scores, threshold_at_far


@dataclass(frozen=True)
class LfwPair:
    # Image paths relative to the images folder: "<Name>/<Name>_0001.jpg".
    first: str
    second: str
    same: bool
    fold: int


@dataclass(frozen=True)
class LfwResult:
    """The protocol's figures for one way of scoring pairs."""

    accuracy_mean: float
    accuracy_std: float
    fold_accuracies: list[float]
    tar_mean: float
    tar_std: float
    far_mean: float
    thresholds: list[float]


@dataclass(frozen=True)
class LfwReport:
    folds: int
    pairs: int
    images: int
    images_per_second: float
    # FaceNet's protocol (cosine after subtracting the training folds' mean embedding)...
    mean_subtracted: LfwResult
    # ...and plain cosine similarity, which is how the gallery and 1:1 verification score.
    plain: LfwResult


def lfw_image_path(name: str, number: str) -> str:
    return f"{name}/{name}_{int(number):04d}.jpg"


def lfw_pairs_read(pairs_file: Path, *, limit_folds: int | None = None) -> list[LfwPair]:
    """The pairs of pairs.txt: a header `folds pairs_per_half`, then per fold that many
    same-person lines `name i j` followed by that many different-person lines
    `name1 i name2 j`."""
    try:
        lines = [line.split() for line in Path(pairs_file).read_text().splitlines() if line.strip()]
        folds, per_half = int(lines[0][0]), int(lines[0][1])
    except (OSError, ValueError, IndexError) as error:
        raise FacesiteError(f"{pairs_file} is not an LFW pairs file: {error}") from error
    if len(lines) - 1 != folds * per_half * 2:
        raise FacesiteError(f"{pairs_file} announces {folds}x{2 * per_half} pairs but has {len(lines) - 1}.")
    pairs = [_pair_parse(fields, index // (2 * per_half)) for index, fields in enumerate(lines[1:])]
    return [pair for pair in pairs if limit_folds is None or pair.fold < limit_folds]


def _pair_parse(fields: list[str], fold: int) -> LfwPair:
    if len(fields) == 3:
        return LfwPair(lfw_image_path(fields[0], fields[1]), lfw_image_path(fields[0], fields[2]), True, fold)
    if len(fields) == 4:
        return LfwPair(
            lfw_image_path(fields[0], fields[1]), lfw_image_path(fields[2], fields[3]), False, fold
        )
    raise FacesiteError(f"Bad LFW pairs line: {' '.join(fields)!r}")


def lfw_folds_evaluate(
    first: np.ndarray,
    second: np.ndarray,
    same: np.ndarray,
    folds: np.ndarray,
    *,
    subtract_mean: bool = True,
    far_target: float = 1e-3,
) -> dict:
    """Accuracy and TAR@FAR over leave-one-fold-out splits of the pairs' embeddings.

    1. For each fold, the other folds are the training set (with one fold only, the
       fold trains and tests itself, which is optimistic: for quick trials only).
    2. Subtract the training pairs' mean embedding, if asked, and score every pair.
    3. Accuracy: best-accuracy threshold on training pairs, applied to the test fold.
    4. TAR: threshold at FAR=far_target on training impostor pairs; TAR and FAR of the
       test fold at that threshold.
    """
    accuracies, tars, fars, thresholds = [], [], [], []
    for fold in np.unique(folds):
        test = folds == fold
        train = ~test if (~test).any() else test
        mean = np.concatenate([first[train], second[train]]).mean(axis=0) if subtract_mean else None
        scores = cosine_scores(first, second, mean)
        threshold = best_threshold(scores[train], same[train])
        accuracies.append(float(np.mean((scores[test] >= threshold) == same[test])))
        thresholds.append(threshold)
        val_threshold = threshold_at_far(scores[train & ~same], far_target)
        tars.append(float(np.mean(scores[test & same] >= val_threshold)))
        fars.append(float(np.mean(scores[test & ~same] >= val_threshold)))
    return {
        "accuracies": accuracies,
        "tars": tars,
        "fars": fars,
        "thresholds": thresholds,
    }


def lfw_result(
    first: np.ndarray, second: np.ndarray, same: np.ndarray, folds: np.ndarray, subtract_mean: bool
):
    figures = lfw_folds_evaluate(first, second, same, folds, subtract_mean=subtract_mean)
    return LfwResult(
        accuracy_mean=float(np.mean(figures["accuracies"])),
        accuracy_std=float(np.std(figures["accuracies"])),
        fold_accuracies=figures["accuracies"],
        tar_mean=float(np.mean(figures["tars"])),
        tar_std=float(np.std(figures["tars"])),
        far_mean=float(np.mean(figures["fars"])),
        thresholds=figures["thresholds"],
    )


def lfw_evaluate(*, pairs: list[LfwPair], embed_paths: Callable[[list[str]], np.ndarray]) -> LfwReport:
    """Embed each image of the pairs once (embed_paths: relative paths -> (N, d) vectors)
    and run the protocol, with and without mean subtraction."""
    if not pairs:
        raise FacesiteError("No LFW pairs to evaluate.")
    paths = sorted({pair.first for pair in pairs} | {pair.second for pair in pairs})
    started = time.perf_counter()
    vectors = embed_paths(paths)
    seconds = max(time.perf_counter() - started, 1e-9)
    row = {path: index for index, path in enumerate(paths)}
    first = vectors[[row[pair.first] for pair in pairs]]
    second = vectors[[row[pair.second] for pair in pairs]]
    same = np.array([pair.same for pair in pairs])
    folds = np.array([pair.fold for pair in pairs])
    return LfwReport(
        folds=len(np.unique(folds)),
        pairs=len(pairs),
        images=len(paths),
        images_per_second=len(paths) / seconds,
        mean_subtracted=lfw_result(first, second, same, folds, subtract_mean=True),
        plain=lfw_result(first, second, same, folds, subtract_mean=False),
    )
