"""A phone's multi-picture JPEG (MPO) is recognised by its first picture; refusals name only
the formats the page takes."""

import io

from django.urls import reverse
from PIL import Image

from recognition.models import RecognitionResult
from tests.factories import multi_picture_jpeg
from tests.recognition.uploads import JANE, JANE_AGAIN, bearer, upload


def test_the_upload_page_recognises_a_multi_picture_jpeg(uploader_web):
    data = multi_picture_jpeg(JANE)
    assert Image.open(io.BytesIO(data)).format == "MPO"

    response = uploader_web.post(reverse("recognize"), {"image": upload(data)})

    result = RecognitionResult.objects.get()
    assert response.status_code == 302 and response["Location"] == result.get_absolute_url()
    assert len(result.faces) == 1


def test_the_verify_api_takes_multi_picture_jpegs(client, uploader):
    photos = {"image1": upload(multi_picture_jpeg(JANE)), "image2": upload(multi_picture_jpeg(JANE_AGAIN))}

    response = client.post(reverse("api_verify"), photos, **bearer(uploader))

    assert response.status_code == 200
    assert response.json()["same_person"] is True


def test_a_refused_format_lists_only_what_the_upload_page_takes(uploader_web):
    buffer = io.BytesIO()
    Image.open(JANE).save(buffer, "BMP")

    response = uploader_web.post(reverse("recognize"), {"image": upload(buffer.getvalue(), "photo.bmp")})

    assert response.status_code == 400
    assert "Unsupported image format BMP; use one of JPEG, PNG, WEBP." in response.content.decode()
    assert not RecognitionResult.objects.exists()
