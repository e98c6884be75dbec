from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facesite.errors import FacesiteError
from pipeline.detection import detector_get

FIXTURES = Path(__file__).parents[1] / "fixtures"


def rgb_pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.parametrize("photo", sorted((FIXTURES / "celeba").glob("*/*.jpg")), ids=lambda path: path.name)
def test_haar_finds_the_one_face_in_each_photo(photo):
    pixels = rgb_pixels(photo)
    height, width = pixels.shape[:2]

    [face] = detector_get("haar").detect(pixels)

    # A frontal face in these head-and-shoulders photos: square, inside the photo,
    # between a quarter and the whole of its width, in its upper two thirds.
    assert face.width == face.height
    assert 0 <= face.left <= face.left + face.width <= width
    assert 0 <= face.top <= face.top + face.height <= height
    assert width / 4 <= face.width <= width
    assert face.top + face.height / 2 < height * 2 / 3


def test_haar_boxes_are_in_source_pixels_when_the_photo_is_downscaled_for_detection():
    photo = Image.open(FIXTURES / "celeba" / "7271" / "130146.jpg").convert("RGB")
    [small_face] = detector_get("haar").detect(np.asarray(photo))
    enlarged = photo.resize((photo.width * 5, photo.height * 5), Image.Resampling.BICUBIC)

    [large_face] = detector_get("haar").detect(np.asarray(enlarged))

    assert max(enlarged.size) > 1024
    assert large_face.width == pytest.approx(small_face.width * 5, rel=0.15)
    assert large_face.left == pytest.approx(small_face.left * 5, rel=0.15, abs=10)
    assert large_face.top == pytest.approx(small_face.top * 5, rel=0.15, abs=10)


def test_haar_finds_nothing_in_a_plain_picture():
    assert detector_get("haar").detect(np.full((300, 200, 3), 128, dtype=np.uint8)) == []


def test_none_detector_takes_the_whole_image_as_the_face():
    [face] = detector_get("none").detect(rgb_pixels(FIXTURES / "orl" / "s1" / "1.pgm"))

    assert face.box == (0, 0, 92, 112)
    assert face.confidence is None


def test_detectors_are_loaded_once():
    assert detector_get("haar") is detector_get("haar")


def test_an_unknown_detector_is_refused_with_the_valid_names():
    with pytest.raises(FacesiteError, match="Unknown detector 'dlib'; choose one of: haar, mtcnn, none"):
        detector_get("dlib")
