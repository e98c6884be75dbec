"""The detector each path uses unless told: YuNet for `manage.py import_faces`, MTCNN for
recognition (README, "Face detectors"), and each face says which one found it."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from identities.models import Face
from recognition.models import RecognitionResult
from tests.recognition.uploads import bearer, photo, upload

CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


@pytest.mark.django_db
def test_import_faces_finds_faces_with_yunet(tmp_path):
    shutil.copytree(CELEBA / "7221", tmp_path / "people" / "Jane_Doe")

    call_command("import_faces", str(tmp_path / "people"), stdout=io.StringIO())

    assert Face.objects.count() == 3
    assert set(Face.objects.values_list("detector", flat=True)) == {"yunet"}


def test_recognition_finds_faces_with_mtcnn_and_says_so(uploader_web, client, uploader):
    uploader_web.post(reverse("recognize"), {"image": upload(photo())})
    api = client.post(reverse("api_recognize"), {"image": upload(photo())}, **bearer(uploader))

    assert [face["detector"] for face in RecognitionResult.objects.first().faces] == ["mtcnn"]
    assert [face["detector"] for face in api.json()["faces"]] == ["mtcnn"]
