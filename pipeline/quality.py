"""How well a face can be judged: its size, the detector's confidence and its sharpness.

Recognition says "too small / blurred to name" instead of naming a face (or calling it
unknown) when its quality is too poor, and review assistance ranks pending crops by it.
Pure NumPy and OpenCV, imported where used: no Django.
"""

from dataclasses import dataclass

import numpy as np

# A face whose box is shorter than this (photo pixels) is too small to name: FaceNet's
# 160-pixel chip is then mostly interpolation. See benchmarks/open_set.py, which
# measures named/unknown by face size.
JUDGE_MIN_SIZE = 24


# Below this sharpness (variance of the Laplacian of the face at SHARPNESS_SIDE pixels)
# a face is too blurred to name; see benchmarks/open_set.py.
JUDGE_MIN_SHARPNESS = 15.0


# Sharpness is measured on the face resized to this square, so that it does not depend
# on the face's size in the photo.
SHARPNESS_SIDE = 64


@dataclass(frozen=True)
class FaceQuality:
    """What decides whether a face can be judged at all."""

    # The shorter side of the face's box, in photo pixels.
    size: int
    # The detector's score for the face, where it gives one.
    confidence: float | None
    # Variance of the Laplacian of the grey face at SHARPNESS_SIDE pixels: low is blurred.
    sharpness: float

    @property
    def problem(self) -> str:
        """Why the face is too poor to judge ("too small", "too blurred"), or ""."""
        if self.size < JUDGE_MIN_SIZE:
            return "too small"
        if self.sharpness < JUDGE_MIN_SHARPNESS:
            return "too blurred"
        return ""


def face_sharpness(face_pixels: np.ndarray) -> float:
    """Variance of the Laplacian of an RGB (or grey) face, resized to SHARPNESS_SIDE square."""
    import cv2

    grey = face_pixels if face_pixels.ndim == 2 else cv2.cvtColor(face_pixels[..., :3], cv2.COLOR_RGB2GRAY)
    if grey.size == 0:
        return 0.0
    square = cv2.resize(grey, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(square, cv2.CV_64F).var())


def face_quality(face_pixels: np.ndarray, *, size: int, confidence: float | None) -> FaceQuality:
    """The quality of a face cut to its box (face_pixels), found at `size` pixels (the
    box's shorter side in the photo) with the detector's `confidence`."""
    return FaceQuality(size=int(size), confidence=confidence, sharpness=face_sharpness(face_pixels))
