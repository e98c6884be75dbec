"""What the gallery needs of an embedder, whichever network it is, and where a face lies
in a stored crop."""

from typing import Protocol

import numpy as np
from django.conf import settings

from pipeline.detection import DetectedFace

# An MTCNN box is taller than wide; a stored crop no longer says by how much, so
# crop_box() assumes this ratio (median on LFW) when it is not told.
BOX_ASPECT = 0.75


class Embedder(Protocol):
    # Stored in FaceEmbedding.embedder (at most 32 characters).
    name: str
    # Shown on pages and in the API, e.g. "FaceNet".
    label: str
    dimension: int

    def chip(self, image: np.ndarray, face: DetectedFace):
        """The input this embedder wants for a face of an uploaded RGB photo."""
        ...

    def embed_chips(self, chips: list) -> np.ndarray:
        """(N, dimension) float32 L2-normalised embeddings of chips cut by chip()."""
        ...

    def embed_crops(self, crops: list[np.ndarray], faces: list) -> np.ndarray:
        """(N, dimension) float32 L2-normalised embeddings of stored Face crops and their rows."""
        ...


class PretrainedEmbedder(Embedder, Protocol):
    """An embedder that ships with its weights (embedders.pretrained), which the LFW
    benchmark and the impostor models measure."""

    # What a cache of its vectors says made them: its chip, and anything else that
    # changes every vector (recognition.services.lfw refuses a cache made otherwise).
    chip_description: str


def crop_box(
    side: int, box_size: tuple[int, int] | None = None, crop_margin: float | None = None
) -> tuple[float, float, float, float]:
    """The detector's box (left, top, width, height) inside a stored crop of this side
    (pipeline.cropping.face_crop: a square of side max(w, h) x (1 + 2 x FACESITE_CROP_MARGIN)
    centred on the box).

    box_size, the box's (width, height) in the photo, gives its shape; without it the box
    is taken BOX_ASPECT times as wide as high. crop_margin is the margin the crop was cut
    with (FACESITE_CROP_MARGIN unless told).
    """
    width, height = box_size or (BOX_ASPECT, 1.0)
    crop_margin = settings.FACESITE_CROP_MARGIN if crop_margin is None else crop_margin
    scale = side / (max(width, height) * (1 + 2 * crop_margin))
    width, height = width * scale, height * scale
    return (side / 2 - width / 2, side / 2 - height / 2, width, height)


def stored_crop_box(side: int, face=None) -> tuple[float, float, float, float]:
    """crop_box() of a stored crop, exact with its Face row's box and detector when given."""
    if face is None:
        return crop_box(side)
    # The importer cuts a face from a detector that takes the whole image (detector
    # "none") without a margin.
    margin = 0.0 if face.detector == "none" else None
    return crop_box(side, (face.box_width, face.box_height), margin)
