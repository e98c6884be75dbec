"""A malformed multipart body gets a JSON 400 from the API, never a 500."""

import pytest
from django.urls import reverse

from tests.recognition.test_bad_upload import assert_nothing_stored
from tests.recognition.uploads import bearer, photo

BOUNDARY = "facesite-boundary"


def part_with_a_long_header() -> bytes:
    """A well-formed body whose one part header runs to 8 KiB."""
    header = f'Content-Disposition: form-data; name="image"; filename="{"x" * 8192}.jpg"'
    return (
        f"--{BOUNDARY}\r\n{header}\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        + photo()
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


NO_BOUNDARY = b"--x\r\nContent-Disposition: form-data; name=image\r\n\r\nabc\r\n--x--"
# (body, content type, error code): a body Django cannot read is a bad request; one whose
# length is no number is read as empty, which lacks the photo.
MALFORMED = {
    "no boundary": (NO_BOUNDARY, "multipart/form-data", "bad_request"),
    "an empty boundary": (b"----\r\n\r\n", "multipart/form-data; boundary=", "bad_request"),
    "an 8 KiB part header": (
        part_with_a_long_header(),
        f"multipart/form-data; boundary={BOUNDARY}",
        "bad_request",
    ),
    "a length that is no number": (b"", "multipart/form-data; boundary=x", "missing_field"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=str)
@pytest.mark.parametrize("name", ["api_recognize", "api_verify"])
def test_the_api_answers_a_malformed_body_with_a_json_400(client, uploader, case, name):
    body, content_type, code = MALFORMED[case]
    extra = {"CONTENT_LENGTH": "many"} if case == "a length that is no number" else {}

    response = client.post(reverse(name), body, content_type=content_type, **bearer(uploader), **extra)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert_nothing_stored()
