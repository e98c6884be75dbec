"""1:1 verification on the page and through the API: same person or not, with score and threshold."""

import pytest
from django.urls import reverse

from recognition.embedders.dlib_resnet import FusedEmbedder
from recognition.gallery.thresholds import verification_threshold
from tests.recognition.uploads import JANE, JANE_AGAIN, JOHN, bearer, photo, upload


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [(JANE, JANE_AGAIN, "Same person"), (JANE, JOHN, "Different people")],
    ids=["same", "different"],
)
def test_the_page_says_whether_two_photos_show_the_same_person(uploader_web, first, second, verdict):
    response = uploader_web.post(
        reverse("verify"), {"image1": upload(photo(first)), "image2": upload(photo(second))}
    )

    verification = response.context["verification"]
    assert response.status_code == 200
    assert verdict in response.content.decode()
    assert verification.threshold == verification_threshold()
    assert (verification.similarity >= verification.threshold) == (verdict == "Same person")
    assert f"{verification.threshold:.3f}" in response.content.decode()
    assert response.content.decode().count('src="data:image/png;base64,') == 2


def test_the_api_gives_the_same_answer_as_json(client, uploader):
    headers = bearer(uploader)
    same = client.post(
        reverse("api_verify"), {"image1": upload(photo(JANE)), "image2": upload(photo(JANE_AGAIN))}, **headers
    ).json()
    different = client.post(
        reverse("api_verify"), {"image1": upload(photo(JANE)), "image2": upload(photo(JOHN))}, **headers
    ).json()

    assert same["same_person"] and not different["same_person"]
    assert same["similarity"] > same["threshold"] > different["similarity"]
    assert len(same["faces"]) == 2 and set(same["faces"][0]) == {"left", "top", "width", "height"}


def test_the_page_asks_for_both_photos(uploader_web):
    response = uploader_web.post(reverse("verify"), {"image1": upload(photo(JANE))})

    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_the_fused_gallery_verifies_with_the_fused_embedder(uploader_web, client, uploader, settings):
    settings.FACESITE_GALLERY_EMBEDDER = "facenet-dlib"
    same = uploader_web.post(
        reverse("verify"), {"image1": upload(photo(JANE)), "image2": upload(photo(JANE_AGAIN))}
    )
    different = client.post(
        reverse("api_verify"),
        {"image1": upload(photo(JANE)), "image2": upload(photo(JOHN))},
        **bearer(uploader),
    ).json()

    verification = same.context["verification"]
    assert verification.same_person and verification.threshold == FusedEmbedder.verification_threshold
    assert "by FaceNet + dlib" in same.content.decode()
    assert different["embedder"] == "facenet-dlib" and not different["same_person"]
    assert different["threshold"] == FusedEmbedder.verification_threshold
