"""FaceNet as the gallery's embedder: where its chip is cut from a photo or a stored crop.

Each process loads the graph once (`facenet_embedder()`), on the first embedding asked for.
"""

from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings

from pipeline.detection import DetectedFace
from recognition.ml.facenet import FaceNetGraph, box_chip


class FaceNetEmbedder(FaceNetGraph):
    name = "facenet"
    label = "FaceNet"
    # Added on each side of the detector box, as a fraction of the box's height: FaceNet's
    # 32-pixel margin for LFW's faces, about 120 pixels high.
    margin = 0.13
    # An MTCNN box is taller than wide; a stored crop no longer says by how much, so
    # crop_chip() assumes this ratio (median on LFW) when it is not told.
    box_aspect = 0.75
    # What a stranger scores against FaceNet's gallery (recognition.ml.impostors), measured
    # on LFW's people by `manage.py measure_impostors` with recognition's detector.
    impostor_model_file = Path(__file__).with_name("facenet_impostors.json")

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The 160x160 uint8 RGB input for one detected face of an RGB photo."""
        return box_chip(np.asarray(image)[..., :3], face.box, self.margin, self.input_size)

    def crop_chip(
        self,
        crop: np.ndarray,
        box_size: tuple[int, int] | None = None,
        crop_margin: float | None = None,
    ) -> np.ndarray:
        """chip() of the face in a stored crop (pipeline.cropping.face_crop: a square of
        side max(w, h) x (1 + 2 x FACESITE_CROP_MARGIN) centred on the box).

        box_size, the detector box's (width, height) in the photo, gives the box's
        shape; without it the box is taken box_aspect times as wide as high. crop_margin
        is the margin the crop was cut with (FACESITE_CROP_MARGIN unless told).
        """
        crop = np.asarray(crop)[..., :3]
        width, height = box_size or (self.box_aspect, 1.0)
        crop_margin = settings.FACESITE_CROP_MARGIN if crop_margin is None else crop_margin
        scale = crop.shape[0] / (max(width, height) * (1 + 2 * crop_margin))
        width, height = width * scale, height * scale
        centre = crop.shape[0] / 2
        box = (centre - width / 2, centre - height / 2, width, height)
        return box_chip(crop, box, self.margin, self.input_size)

    def stored_chip(self, crop: np.ndarray, face=None) -> np.ndarray:
        """crop_chip() of a stored crop, cut exactly with its Face's box and margin when given."""
        if face is None:
            return self.crop_chip(crop)
        # The importer cuts a face from a detector that takes the whole image (detector
        # "none") without a margin.
        margin = 0.0 if face.detector == "none" else None
        return self.crop_chip(crop, (face.box_width, face.box_height), margin)

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
