"""Face quality on a real photo: a sharp face passes, the same face blurred or tiny does not."""

import cv2
import numpy as np
from PIL import Image

from pipeline.quality import JUDGE_MIN_SIZE, face_quality
from tests.conftest import FIXTURES


def _face_pixels() -> np.ndarray:
    photo = sorted((FIXTURES / "celeba" / "7221").glob("*.jpg"))[0]
    pixels = np.asarray(Image.open(photo).convert("RGB"))
    height, width = pixels.shape[:2]
    # The fixtures are unaligned photos with one frontal face near the middle.
    return pixels[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]


def test_a_sharp_face_of_a_fair_size_can_be_judged():
    face = _face_pixels()
    quality = face_quality(face, size=min(face.shape[:2]), confidence=0.99)
    assert quality.problem == ""


def test_the_same_face_blurred_is_too_blurred():
    face = cv2.GaussianBlur(_face_pixels(), (0, 0), sigmaX=6)
    quality = face_quality(face, size=min(face.shape[:2]), confidence=0.99)
    assert quality.problem == "too blurred"
    assert quality.sharpness < face_quality(_face_pixels(), size=100, confidence=None).sharpness


def test_a_face_under_the_size_limit_is_too_small():
    quality = face_quality(_face_pixels(), size=JUDGE_MIN_SIZE - 1, confidence=0.99)
    assert quality.problem == "too small"
