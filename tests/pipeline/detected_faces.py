"""The fixture photos and small measures shared by the detector tests."""

from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).parents[1] / "fixtures"
PHOTOS = sorted((FIXTURES / "celeba").glob("*/*.jpg"))
LANDMARKS = {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"}


def rgb_pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def largest(faces):
    return max(faces, key=lambda face: face.width * face.height)


def overlap(first, second) -> float:
    """Intersection over union of two face boxes."""
    width = min(first.left + first.width, second.left + second.width) - max(first.left, second.left)
    height = min(first.top + first.height, second.top + second.height) - max(first.top, second.top)
    intersection = max(0, width) * max(0, height)
    return intersection / (first.width * first.height + second.width * second.height - intersection)
