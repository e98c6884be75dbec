from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.detection import detector_get

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


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda path: path.name)
def test_mtcnn_finds_the_face_with_its_landmarks_inside_the_box(photo):
    face = largest(detector_get("mtcnn").detect(rgb_pixels(photo)))

    assert face.confidence >= 0.9
    assert set(face.landmarks) == LANDMARKS
    for x, y in face.landmarks.values():
        assert face.left <= x <= face.left + face.width
        assert face.top <= y <= face.top + face.height
    # The eyes sit above the nose, which sits above the mouth.
    assert max(face.landmarks["left_eye"][1], face.landmarks["right_eye"][1]) < face.landmarks["nose"][1]
    assert face.landmarks["nose"][1] < min(face.landmarks["mouth_left"][1], face.landmarks["mouth_right"][1])


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda path: path.name)
def test_mtcnn_and_haar_agree_on_where_the_face_is(photo):
    pixels = rgb_pixels(photo)

    mtcnn_face = largest(detector_get("mtcnn").detect(pixels))
    [haar_face] = detector_get("haar").detect(pixels)

    # MTCNN's boxes are tighter and taller than the cascade's squares, so only rough agreement.
    assert overlap(mtcnn_face, haar_face) > 0.4


def test_mtcnn_boxes_and_landmarks_are_in_source_pixels_when_the_photo_is_downscaled():
    photo = Image.open(FIXTURES / "celeba" / "7271" / "130146.jpg").convert("RGB")
    small_face = largest(detector_get("mtcnn").detect(np.asarray(photo)))
    enlarged = photo.resize((photo.width * 5, photo.height * 5), Image.Resampling.BICUBIC)

    large_face = largest(detector_get("mtcnn").detect(np.asarray(enlarged)))

    assert max(enlarged.size) > 1024
    assert large_face.width == pytest.approx(small_face.width * 5, rel=0.15)
    assert large_face.top == pytest.approx(small_face.top * 5, rel=0.15, abs=10)
    large_eye_x, _ = large_face.landmarks["left_eye"]
    assert large_eye_x == pytest.approx(small_face.landmarks["left_eye"][0] * 5, rel=0.1)


def test_mtcnn_finds_nothing_in_pictures_without_a_face():
    plain = np.full((300, 200, 3), 128, dtype=np.uint8)
    noise = np.random.default_rng(seed=4).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)

    assert detector_get("mtcnn").detect(plain) == []
    assert detector_get("mtcnn").detect(noise) == []
