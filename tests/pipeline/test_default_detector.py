"""The detector each path uses unless told: YuNet everywhere since the gallery's fused
FaceNet + dlib embedding reaches 98.9% on LFW with its boxes (README, "Face detectors"):
`manage.py import_faces`, recognition and verification, and each face says which one
found it. The job forms and `manage.py scrape`: tests/jobs/test_job_default_detector.py."""

import io
import shutil
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from identities.models import Face
from pipeline.detection import detector_get
from recognition.models import RecognitionResult
from tests.recognition.uploads import bearer, photo, upload

CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


@pytest.mark.django_db
def test_import_faces_finds_faces_with_yunet(tmp_path):
    shutil.copytree(CELEBA / "7221", tmp_path / "people" / "Jane_Doe")

    call_command("import_faces", str(tmp_path / "people"), stdout=io.StringIO())

    assert Face.objects.count() == 3
    assert set(Face.objects.values_list("detector", flat=True)) == {"yunet"}


def test_recognition_finds_faces_with_yunet_and_says_so(uploader_web, client, uploader):
    uploader_web.post(reverse("recognize"), {"image": upload(photo())})
    api = client.post(reverse("api_recognize"), {"image": upload(photo())}, **bearer(uploader))

    assert [face["detector"] for face in RecognitionResult.objects.first().faces] == ["yunet"]
    assert [face["detector"] for face in api.json()["faces"]] == ["yunet"]


def test_verification_finds_faces_with_yunet(uploader_web):
    with mock.patch("recognition.services.uploads.detector_get", wraps=detector_get) as detector_asked:
        response = uploader_web.post(
            reverse("verify"), {"image1": upload(photo()), "image2": upload(photo())}
        )

    assert response.status_code == 200
    assert [call.args for call in detector_asked.call_args_list] == [("yunet",), ("yunet",)]
