"""Every kind of bad input gets a clear message and the right status, and stores nothing."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from recognition.models import RecognitionResult
from tests.recognition.uploads import bearer, encoded, faceless_photo, photo, upload


def bomb() -> bytes:
    """A small PNG that decodes to 10,000 x 10,000 pixels."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    return buffer.getvalue()


# (what is sent, file name, content type, status, error code, words in the message)
BAD_UPLOADS = {
    "not an image": (b"%PDF-1.4 a document", "photo.jpg", "image/jpeg", 400, "not_an_image", "not an image"),
    "truncated": (photo()[:2000], "photo.jpg", "image/jpeg", 400, "truncated", "truncated"),
    "decompression bomb": (bomb(), "small.png", "image/png", 400, "too_many_pixels", "too many pixels"),
    "misleading extension": (
        encoded(Image.new("RGB", (64, 64)), "GIF"),
        "photo.jpg",
        "image/jpeg",
        400,
        "unsupported",
        "Unsupported image format GIF; use one of JPEG, PNG, WEBP.",
    ),
    "no face": (faceless_photo(), "photo.jpg", "image/jpeg", 422, "no_face", "No face found"),
}


def assert_nothing_stored():
    assert not RecognitionResult.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "recognition").exists() or not any(
        (Path(settings.MEDIA_ROOT) / "recognition").rglob("*")
    )


@pytest.mark.parametrize("case", BAD_UPLOADS, ids=str)
def test_the_upload_page_explains_bad_input_and_stores_nothing(uploader_web, case):
    data, name, content_type, status, _, words = BAD_UPLOADS[case]

    response = uploader_web.post(reverse("recognize"), {"image": upload(data, name, content_type)})

    assert response.status_code == status
    assert words in response.content.decode()
    assert_nothing_stored()


@pytest.mark.parametrize("case", BAD_UPLOADS, ids=str)
def test_the_api_answers_bad_input_with_a_json_error_and_stores_nothing(client, uploader, case):
    data, name, content_type, status, code, words = BAD_UPLOADS[case]

    response = client.post(
        reverse("api_recognize"), {"image": upload(data, name, content_type)}, **bearer(uploader)
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]
    assert_nothing_stored()


def test_a_photo_over_the_pixel_limit_is_refused(uploader_web, client, uploader, settings):
    settings.FACESITE_MAX_IMAGE_PIXELS = 10_000

    page = uploader_web.post(reverse("recognize"), {"image": upload(photo())})
    api = client.post(reverse("api_recognize"), {"image": upload(photo())}, **bearer(uploader))

    assert page.status_code == 400 and "the limit is 10,000 pixels" in page.content.decode()
    assert api.status_code == 400 and api.json()["error"]["code"] == "too_many_pixels"
    assert_nothing_stored()


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(uploader_web, client, uploader, settings):
    settings.FACESITE_MAX_IMAGE_BYTES = 1000

    page = uploader_web.post(reverse("recognize"), {"image": upload(photo())})
    api = client.post(reverse("api_recognize"), {"image": upload(photo())}, **bearer(uploader))

    assert page.status_code == 413 and "File is too large" in page.content.decode()
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
    assert_nothing_stored()


def test_verification_names_the_photo_without_a_face(uploader_web, client, uploader):
    data = {"image1": upload(photo()), "image2": upload(faceless_photo())}
    page = uploader_web.post(reverse("verify"), data)
    api = client.post(
        reverse("api_verify"),
        {"image1": upload(photo()), "image2": upload(b"not an image")},
        **bearer(uploader),
    )

    assert page.status_code == 422 and "No face found in the second photo" in page.content.decode()
    assert api.status_code == 400 and api.json()["error"]["message"].startswith("The second photo:")


def test_a_form_sent_without_a_file_asks_for_one(uploader_web):
    response = uploader_web.post(reverse("recognize"), {})

    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert_nothing_stored()
