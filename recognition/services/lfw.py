"""The LFW benchmark's embeddings: each image's face found and embedded as an upload's is.

The protocol itself (folds, thresholds, TAR at FAR) is recognition.ml.lfw.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from facesite.errors import FacesiteError
from facesite.files import atomic_path
from pipeline.detection import RECOGNITION_DETECTOR, DetectedFace, detector_get
from recognition.embedders.base import PretrainedEmbedder
from recognition.embedders.facenet import facenet_embedder


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
    images_dir: Path,
    paths: list[str],
    *,
    detector_name: str = RECOGNITION_DETECTOR,
    embedder: PretrainedEmbedder | None = None,
    cache_file: Path | None = None,
    log=None,
) -> np.ndarray:
    """(N, dimension) embeddings of LFW images: the detector (recognition's unless told),
    chip(), embed_chips(), as an upload is embedded; by FaceNet unless another embedder
    is given.

    With cache_file, embeddings already there (an .npz of paths and vectors) are reused
    and new ones added, so a rerun, or a run with more folds, embeds only what is new. A
    cache holds one detector's and one embedder's chips: any other cache is refused.
    """
    embedder, detector = embedder or facenet_embedder(), detector_get(detector_name)
    chip = _chip_description(embedder, detector_name, detector)
    cached = _cache_read(cache_file, chip)
    missing = [path for path in paths if path not in cached]
    if log:
        log(f"{len(paths) - len(missing)} from the cache, {len(missing)} to embed")
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
        _cache_write(cache_file, cached, chip)
    return np.stack([cached[path] for path in paths])


def lfw_people_embed(
    images_dir: Path,
    pairs: list,
    *,
    detector_name: str = RECOGNITION_DETECTOR,
    embedder: PretrainedEmbedder | None = None,
    cache_file: Path | None = None,
    log=None,
) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings, person index) of every image these LFW pairs name, each once, as
    lfw_paths_embed embeds them; people numbered in name order."""
    paths = sorted({path for pair in pairs for path in (pair.first, pair.second)})
    vectors = lfw_paths_embed(
        images_dir, paths, detector_name=detector_name, embedder=embedder, cache_file=cache_file, log=log
    )
    _, labels = np.unique([path.split("/")[0] for path in paths], return_inverse=True)
    return vectors, labels


def _chip_description(embedder: PretrainedEmbedder, detector_name: str, detector) -> str:
    box = getattr(detector, "box_refinement", "box as found")
    return f"{detector_name} {box} {embedder.chip_description}"


# Caches written before they recorded their chip were all MTCNN's.
_UNRECORDED_CHIP = "mtcnn box as found margin 0.13"


def _cache_read(cache_file: Path | None, chip: str) -> dict[str, np.ndarray]:
    if cache_file is None or not Path(cache_file).exists():
        return {}
    stored = np.load(cache_file)
    stored_chip = str(stored["chip"]) if "chip" in stored else _UNRECORDED_CHIP
    if stored_chip != chip:
        raise FacesiteError(
            f"{cache_file} holds embeddings of other chips ({stored_chip}), not of {chip}; "
            "give each detector and embedder its own --cache file."
        )
    return dict(zip(stored["paths"].tolist(), stored["vectors"], strict=True))


def _cache_write(cache_file: Path | None, cached: dict[str, np.ndarray], chip: str) -> None:
    if cache_file is None or not cached:
        return
    # Written beside and renamed, so an interrupted run never leaves a broken cache.
    # A file object, so NumPy adds no .npz to a cache named without it.
    with atomic_path(cache_file) as partial, partial.open("wb") as cache:
        np.savez(
            cache, paths=np.array(list(cached)), vectors=np.stack(list(cached.values())), chip=np.array(chip)
        )
