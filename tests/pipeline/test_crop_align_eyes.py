import math
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from identities.models import Face
from pipeline.cropping import face_crop, face_crop_level
from pipeline.detection import detector_get

PHOTO = Path(__file__).parents[1] / "fixtures" / "celeba" / "7271" / "130146.jpg"


def eye_angle(image: Image.Image) -> float:
    """The angle in degrees of the line between the eyes MTCNN finds in an image."""
    face = max(detector_get("mtcnn").detect(np.asarray(image)), key=lambda face: face.width)
    (left_x, left_y), (right_x, right_y) = face.landmarks["left_eye"], face.landmarks["right_eye"]
    return math.degrees(math.atan2(right_y - left_y, right_x - left_x))


@pytest.fixture
def tilted_photo() -> Image.Image:
    """The fixture photo turned 20 degrees, as a head tilted to one side."""
    photo = Image.open(PHOTO).convert("RGB")
    return photo.rotate(-20, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")


def test_a_level_crop_turns_a_tilted_face_upright(tilted_photo):
    face = max(detector_get("mtcnn").detect(np.asarray(tilted_photo)), key=lambda face: face.width)
    eyes = (face.landmarks["left_eye"], face.landmarks["right_eye"])

    plain = face_crop(tilted_photo, face.box, margin=0.2, size=160)
    level = face_crop_level(tilted_photo, face.box, eyes, margin=0.2, size=160)

    assert abs(eye_angle(plain)) > 12
    assert abs(eye_angle(level)) < 4
    assert level.size == (160, 160)


def imported_crop() -> Image.Image:
    with default_storage.open(Face.objects.get().file) as crop_file:
        return Image.open(crop_file).convert("RGB")


def test_imports_turn_crops_upright_when_the_setting_asks(
    person_folder, import_faces, settings, tilted_photo
):
    settings.FACESITE_CROP_ALIGN_EYES = True
    tilted_photo.save(person_folder / "tilted.jpg", quality=95)

    import_faces(person_folder.parent, "--detector", "mtcnn")

    assert abs(eye_angle(imported_crop())) < 4


def test_imports_keep_plain_box_crops_by_default(person_folder, import_faces, tilted_photo):
    tilted_photo.save(person_folder / "tilted.jpg", quality=95)

    import_faces(person_folder.parent, "--detector", "mtcnn")

    assert abs(eye_angle(imported_crop())) > 12
