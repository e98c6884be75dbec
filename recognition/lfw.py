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
from pipeline.detection import DetectedFace


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


def cosine_scores(first: np.ndarray, second: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    if mean is not None:
        first, second = first - mean, second - mean
    first = first / np.linalg.norm(first, axis=1, keepdims=True)
    second = second / np.linalg.norm(second, axis=1, keepdims=True)
    return np.sum(first * second, axis=1)


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


def lfw_face(faces: list[DetectedFace], width: int, height: int) -> DetectedFace:
    """The face a pair is about: as FaceNet's alignment picks it, the largest box
    discounted by its distance from the centre; without one, the middle of the image
    (LFW crops are centred on their person)."""
    if not faces:
        side_w, side_h = round(width * 0.6), round(height * 0.8)
        return DetectedFace(
            left=(width - side_w) // 2, top=(height - side_h) // 2, width=side_w, height=side_h
        )

    def centred_size(face: DetectedFace) -> float:
        offset_x = face.left + face.width / 2 - width / 2
        offset_y = face.top + face.height / 2 - height / 2
        return face.width * face.height - 2 * (offset_x**2 + offset_y**2)

    return max(faces, key=centred_size)


def lfw_paths_embed(
    images_dir: Path, paths: list[str], *, cache_file: Path | None = None, log=None
) -> np.ndarray:
    """(N, 512) gallery embeddings of LFW images: MTCNN, chip(), embed_chips(), as an upload.

    With cache_file, embeddings already there (an .npz of paths and vectors) are reused
    and new ones added, so a rerun, or a run with more folds, embeds only what is new.
    """
    from PIL import Image

    from pipeline.detection import detector_get
    from recognition.embedding import facenet_embedder

    cached = _cache_read(cache_file)
    missing = [path for path in paths if path not in cached]
    if log:
        log(f"{len(paths) - len(missing)} from the cache, {len(missing)} to embed")
    embedder, detector = facenet_embedder(), detector_get("mtcnn")
    for start in range(0, len(missing), 64):
        batch = missing[start : start + 64]
        chips = []
        for path in batch:
            try:
                image = np.asarray(Image.open(Path(images_dir) / path).convert("RGB"))
            except OSError as error:
                raise FacesiteError(f"Cannot read LFW image {path}: {error}") from error
            face = lfw_face(detector.detect(image), image.shape[1], image.shape[0])
            chips.append(embedder.chip(image, face))
        cached.update(zip(batch, embedder.embed_chips(chips), strict=True))
        if log:
            log(f"embedded {min(start + 64, len(missing))}/{len(missing)}")
        _cache_write(cache_file, cached)
    return np.stack([cached[path] for path in paths])


def _cache_read(cache_file: Path | None) -> dict[str, np.ndarray]:
    if cache_file is None or not Path(cache_file).exists():
        return {}
    stored = np.load(cache_file)
    return dict(zip(stored["paths"].tolist(), stored["vectors"], strict=True))


def _cache_write(cache_file: Path | None, cached: dict[str, np.ndarray]) -> None:
    if cache_file is None or not cached:
        return
    # Written beside and renamed, so an interrupted run never leaves a broken cache.
    partial = Path(f"{cache_file}.partial.npz")
    np.savez(partial, paths=np.array(list(cached)), vectors=np.stack(list(cached.values())))
    partial.replace(cache_file)


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
