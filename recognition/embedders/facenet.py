"""FaceNet as the gallery's embedder: where its chip is cut from a photo or a stored crop.

Each process loads the graph once (`facenet_embedder()`), on the first embedding asked for.
"""

from functools import cache
from pathlib import Path

import numpy as np

from pipeline.detection import DetectedFace
from recognition.embedders.base import crop_box, stored_crop_box
from recognition.ml.facenet import FaceNetGraph, box_chip


class FaceNetEmbedder(FaceNetGraph):
    name = "facenet"
    label = "FaceNet"
    # Added on each side of the detector box, as a fraction of the box's height: FaceNet's
    # 32-pixel margin for LFW's faces, about 120 pixels high.
    margin = 0.13
    # What a stranger scores against FaceNet's gallery (recognition.ml.impostors), measured
    # on LFW's people by `manage.py measure_impostors` with recognition's detector.
    impostor_model_file = Path(__file__).with_name("facenet_impostors.json")

    @property
    def chip_description(self) -> str:
        """What a cache of its vectors says made them (recognition.services.lfw)."""
        return f"margin {self.margin}"

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The 160x160 uint8 RGB input for one detected face of an RGB photo."""
        return box_chip(np.asarray(image)[..., :3], face.box, self.margin, self.input_size)

    def crop_chip(
        self,
        crop: np.ndarray,
        box_size: tuple[int, int] | None = None,
        crop_margin: float | None = None,
    ) -> np.ndarray:
        """chip() of the face in a stored crop, whose box base.crop_box() places."""
        crop = np.asarray(crop)[..., :3]
        return box_chip(crop, crop_box(crop.shape[0], box_size, crop_margin), self.margin, self.input_size)

    def stored_chip(self, crop: np.ndarray, face=None) -> np.ndarray:
        """chip() of a stored crop, cut exactly with its Face's box and margin when given."""
        crop = np.asarray(crop)[..., :3]
        return box_chip(crop, stored_crop_box(crop.shape[0], face), self.margin, self.input_size)

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        """(N, 512) embeddings of stored Face crops (160x160, box + 20% margin per side),
        cut down to chip()'s margin; their Face rows, where known, make the cut exact."""
        faces = faces or [None] * len(crops)
        chips = [self.stored_chip(crop, face) for crop, face in zip(crops, faces, strict=True)]
        return self.embed_chips(chips)


@cache
def facenet_embedder() -> FaceNetEmbedder:
    """The process's one embedder; the graph loads on first use."""
    return FaceNetEmbedder()
