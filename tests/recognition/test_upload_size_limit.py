"""A photo over FACESITE_MAX_IMAGE_BYTES is refused with 413 while it arrives: nothing past
the limit reaches memory or disk, on the pages and the API alike."""

import pytest
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client
from django.urls import reverse

from tests.recognition.test_bad_upload import assert_nothing_stored
from tests.recognition.uploads import bearer, photo, upload

LIMIT = 100_000


class RecordingUploadHandler(FileUploadHandler):
    """Passes every chunk on, counting the bytes that reached the handlers that store."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        RecordingUploadHandler.received += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def spool(settings, tmp_path):
    """Every upload spooled to a folder of the test's, through the recording handler."""
    RecordingUploadHandler.received = 0
    settings.FACESITE_MAX_IMAGE_BYTES = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    settings.FILE_UPLOAD_HANDLERS = [
        f"{__name__}.RecordingUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    return tmp_path / "spool"


def oversized(size: int) -> bytes:
    """A real JPEG padded past the limit (the refusal comes before any decoding)."""
    data = photo()
    return data + b"\0" * (size - len(data))


def post(client, name: str, files: dict, headers: dict):
    return client.post(reverse(name), {field: upload(data) for field, data in files.items()}, **headers)


ENDPOINTS = {
    "upload page": ("recognize", ["image"]),
    "verify page": ("verify", ["image1", "image2"]),
    "recognize API": ("api_recognize", ["image"]),
    "verify API": ("api_verify", ["image1", "image2"]),
}


def assert_refused_as_too_large(response, name: str):
    assert response.status_code == 413
    if name.startswith("api_"):
        assert response.json()["error"]["code"] == "too_large"
    else:
        assert "File is too large" in response.content.decode()
        assert f"the limit is {LIMIT:,}" in response.content.decode()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_body_far_over_the_limit_is_refused_unread(uploader_web, uploader, spool, endpoint):
    name, fields = ENDPOINTS[endpoint]
    headers = bearer(uploader) if name.startswith("api_") else {}

    response = post(uploader_web, name, {field: oversized(20 * LIMIT) for field in fields}, headers)

    assert_refused_as_too_large(response, name)
    assert RecordingUploadHandler.received == 0
    assert not any(spool.iterdir())
    assert_nothing_stored()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_file_over_the_limit_stops_being_stored_at_the_limit(uploader_web, uploader, spool, endpoint):
    name, fields = ENDPOINTS[endpoint]
    headers = bearer(uploader) if name.startswith("api_") else {}
    # The last photo is over the limit, the body within what the fields may carry together.
    files = {field: photo() for field in fields[:-1]} | {fields[-1]: oversized(LIMIT + 60_000)}

    response = post(uploader_web, name, files, headers)

    assert_refused_as_too_large(response, name)
    assert RecordingUploadHandler.received <= len(fields) * LIMIT
    assert RecordingUploadHandler.received < sum(len(data) for data in files.values()) - 50_000
    assert not any(spool.iterdir())
    assert_nothing_stored()


def test_a_page_refuses_an_oversized_body_without_a_token_and_still_checks_tokens(uploader, settings):
    settings.FACESITE_MAX_IMAGE_BYTES = LIMIT
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(uploader)

    too_large = browser.post(reverse("recognize"), {"image": upload(oversized(20 * LIMIT))})
    no_token = browser.post(reverse("recognize"), {"image": upload(photo())})

    assert too_large.status_code == 413 and "File is too large" in too_large.content.decode()
    assert no_token.status_code == 403
    assert_nothing_stored()


def test_an_api_endpoint_without_photos_reads_no_upload(uploader, spool):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(uploader)
    browser.get(reverse("recognize"))  # for the CSRF cookie, so the check goes on to the body

    response = browser.post("/api/v1/nothing-here", {"image": upload(oversized(2 * LIMIT))})

    # The CSRF check finds no token in a body it did not read.
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    assert RecordingUploadHandler.received == 0
