"""FaceNet's chip is cut around each detector's box (YuNet's moved onto MTCNN's by O-net):
for a YuNet face the chip cut from its stored crop is the chip cut from its photo."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from identities.images import stored_image_rgb
from identities.models import Face
from pipeline.detection import DetectedFace
from recognition.embedders.facenet import facenet_embedder

CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


@pytest.mark.django_db
def test_a_yunet_face_is_cut_alike_from_its_photo_and_from_its_stored_crop(tmp_path):
    shutil.copytree(CELEBA / "7221", tmp_path / "people" / "Jane_Doe")
    call_command("import_faces", str(tmp_path / "people"), "--detector", "yunet", "--approve")
    embedder = facenet_embedder()

    faces = Face.objects.filter(detector="yunet")
    assert faces.count() == 3
    for face in faces:
        photo = np.asarray(stored_image_rgb(face.source_image.file))
        box = DetectedFace(face.box_left, face.box_top, face.box_width, face.box_height, detector="yunet")
        from_photo = embedder.chip(photo, box).astype(float)
        from_crop = embedder.stored_chip(np.asarray(stored_image_rgb(face.file)), face).astype(float)
        assert np.abs(from_photo - from_crop).mean() < 6
