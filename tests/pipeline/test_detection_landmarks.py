"""The detectors that place landmarks (MTCNN, YuNet): where their boxes and points fall."""

import numpy as np
import pytest
from PIL import Image

from pipeline.detection import detector_get
from tests.pipeline.detected_faces import FIXTURES, LANDMARKS, PHOTOS, largest, overlap, rgb_pixels

LANDMARK_DETECTORS = ["mtcnn", "yunet"]


@pytest.mark.parametrize("detector", LANDMARK_DETECTORS)
@pytest.mark.parametrize("photo", PHOTOS, ids=lambda path: path.name)
def test_the_face_is_found_with_its_landmarks_inside_the_box(photo, detector):
    face = largest(detector_get(detector).detect(rgb_pixels(photo)))

    assert face.detector == detector
    assert detector_get(detector).min_confidence <= face.confidence <= 1.0
    assert set(face.landmarks) == LANDMARKS
    for x, y in face.landmarks.values():
        assert face.left <= x <= face.left + face.width
        assert face.top <= y <= face.top + face.height
    # The person's right eye, on the left of the photo, is called left_eye by both.
    assert face.landmarks["left_eye"][0] < face.landmarks["right_eye"][0]
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


@pytest.mark.parametrize("detector", LANDMARK_DETECTORS)
def test_boxes_and_landmarks_are_in_source_pixels_when_the_photo_is_downscaled(detector):
    photo = Image.open(FIXTURES / "celeba" / "7271" / "130146.jpg").convert("RGB")
    small_face = largest(detector_get(detector).detect(np.asarray(photo)))
    enlarged = photo.resize((photo.width * 5, photo.height * 5), Image.Resampling.BICUBIC)

    large_face = largest(detector_get(detector).detect(np.asarray(enlarged)))

    assert max(enlarged.size) > 1024
    assert large_face.width == pytest.approx(small_face.width * 5, rel=0.15)
    assert large_face.top == pytest.approx(small_face.top * 5, rel=0.15, abs=10)
    large_eye_x, _ = large_face.landmarks["left_eye"]
    assert large_eye_x == pytest.approx(small_face.landmarks["left_eye"][0] * 5, rel=0.1)


@pytest.mark.parametrize("detector", LANDMARK_DETECTORS)
def test_nothing_is_found_in_pictures_without_a_face(detector):
    plain = np.full((300, 200, 3), 128, dtype=np.uint8)
    noise = np.random.default_rng(seed=4).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)

    assert detector_get(detector).detect(plain) == []
    assert detector_get(detector).detect(noise) == []
