"""The upload page: every face found, boxed, and named from the gallery or marked unknown."""

import re

from django.urls import reverse

from recognition.models import RecognitionResult
from tests.recognition.uploads import (
    JANE,
    JANE_AGAIN,
    JOHN,
    encoded,
    gallery_add_strangers,
    gallery_enrol,
    group_photo,
    photo,
    upload,
)

JANE_ENROLLED = [JANE_AGAIN, JANE.parent / "039709.jpg"]


def test_a_group_photo_shows_every_face_boxed_and_named_or_unknown(uploader_web, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": JANE_ENROLLED})

    response = uploader_web.post(reverse("recognize"), {"image": upload(group_photo(JANE, JOHN))})

    result = RecognitionResult.objects.get()
    assert response.status_code == 302 and response["Location"] == result.get_absolute_url()
    assert len(result.faces) == 2
    by_position = sorted(result.faces, key=lambda face: face["box"]["left"])
    # Jane was pasted at x=40, John to the right of her 200-pixel-wide photo.
    assert 40 <= by_position[0]["box"]["left"] < 240 <= by_position[1]["box"]["left"]
    jane, john = (face["gallery"] for face in by_position)
    assert (jane["name"], jane["unknown"]) == ("Jane Doe", False)
    assert jane["matches"][0]["score"] >= jane["threshold"]
    assert john["unknown"] and john["name"] is None and john["confidence"] == "unknown"
    assert all(face["model"] is None for face in result.faces)
    page = uploader_web.get(result.get_absolute_url()).content.decode()
    assert page.count("<rect") == 2
    assert re.search(r"\d: Jane Doe</a>", page) and re.search(r"\d: unknown</a>", page)
    assert "No trained model is active" in page


def test_the_top_five_are_ordered_best_first(uploader_web, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": JANE_ENROLLED})
    gallery_add_strangers(6)

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JANE))})

    [face] = RecognitionResult.objects.get().faces
    scores = [match["score"] for match in face["gallery"]["matches"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert face["gallery"]["matches"][0]["name"] == "Jane Doe"
    assert face["gallery"]["confidence"] in {"confident", "uncertain"}


def test_the_photo_is_judged_by_its_content_not_its_name(uploader_web, db):
    png = photo(JOHN, "PNG")

    response = uploader_web.post(reverse("recognize"), {"image": upload(png, "john.gif", "image/gif")})

    result = RecognitionResult.objects.get()
    assert response.status_code == 302
    assert result.image_format == "PNG" and result.photo.endswith("/photo.png")
    photo_response = uploader_web.get(reverse("recognition_photo", args=[result.pk]))
    assert photo_response["Content-Type"] == "image/png"
    assert b"".join(photo_response.streaming_content) == png


def test_webp_photos_are_accepted(uploader_web, db):
    from PIL import Image

    webp = encoded(Image.open(JOHN).convert("RGB"), "WEBP")

    assert uploader_web.post(reverse("recognize"), {"image": upload(webp, "john.webp")}).status_code == 302


def test_only_uploaders_recognize(reviewer_web):
    assert reviewer_web.get(reverse("recognize")).status_code == 403
    assert reviewer_web.post(reverse("recognize"), {"image": upload(photo())}).status_code == 403
    assert not RecognitionResult.objects.exists()
