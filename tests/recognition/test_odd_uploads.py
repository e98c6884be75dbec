"""Thin, tiny, huge, grey, alpha, 16-bit and CMYK photos get their faces found, or a clear
"no face", on the recognize and verify pages and in the API; never a server error."""

import pytest
from django.urls import reverse

from recognition.models import RecognitionResult
from tests.pipeline.odd_images import ODD_IMAGES
from tests.recognition.uploads import bearer, photo, upload


def odd_upload(name: str):
    file_name, make, _ = ODD_IMAGES[name]
    content_type = "image/png" if file_name.endswith(".png") else "image/jpeg"
    return upload(make(), file_name, content_type)


@pytest.mark.parametrize("name", ODD_IMAGES, ids=str)
def test_the_recognize_page_finds_the_face_or_says_there_is_none(uploader_web, name):
    response = uploader_web.post(reverse("recognize"), {"image": odd_upload(name)})

    if ODD_IMAGES[name][2]:
        result = RecognitionResult.objects.get()
        assert response.status_code == 302 and response["Location"] == result.get_absolute_url()
        assert len(result.faces) == 1
    else:
        assert response.status_code == 422 and "No face found" in response.content.decode()
        assert not RecognitionResult.objects.exists()


@pytest.mark.parametrize("name", ODD_IMAGES, ids=str)
def test_the_api_finds_the_face_or_answers_no_face(client, uploader, name):
    response = client.post(reverse("api_recognize"), {"image": odd_upload(name)}, **bearer(uploader))

    if ODD_IMAGES[name][2]:
        assert response.status_code == 200 and len(response.json()["faces"]) == 1
    else:
        assert response.status_code == 422 and response.json()["error"]["code"] == "no_face"


@pytest.mark.parametrize("name", ["thin", "16-bit"], ids=str)
def test_verification_compares_odd_photos_or_names_the_one_without_a_face(
    uploader_web, client, uploader, name
):
    page = uploader_web.post(reverse("verify"), {"image1": odd_upload(name), "image2": upload(photo())})
    api = client.post(
        reverse("api_verify"), {"image1": odd_upload(name), "image2": upload(photo())}, **bearer(uploader)
    )

    if ODD_IMAGES[name][2]:
        assert page.status_code == 200 and api.status_code == 200
        assert api.json()["same_person"] is True
    else:
        assert page.status_code == 422 and "No face found in the first photo" in page.content.decode()
        assert api.status_code == 422 and api.json()["error"]["code"] == "no_face"
