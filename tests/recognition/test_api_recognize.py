"""POST /api/v1/recognize answers with what the result page shows, as JSON."""

from django.urls import reverse

from recognition.models import RecognitionResult
from tests.recognition.uploads import JANE, JANE_AGAIN, JOHN, bearer, gallery_enrol, group_photo, upload


def test_recognize_returns_every_face_with_both_answers_and_figure_links(client, uploader, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": [JANE_AGAIN]})

    response = client.post(
        reverse("api_recognize"), {"image": upload(group_photo(JANE, JOHN))}, **bearer(uploader)
    )

    body = response.json()
    result = RecognitionResult.objects.get()
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert body["id"] == str(result.pk) and body["url"].endswith(result.get_absolute_url())
    assert body["expires_at"] and body["photo"]["format"] == "JPEG"
    assert len(body["faces"]) == 2
    names = sorted((face["gallery"]["name"] or "unknown") for face in body["faces"])
    assert names == ["Jane Doe", "unknown"]
    for face in body["faces"]:
        assert {"number", "box", "detector_confidence", "gallery", "model", "figures"} <= set(face)
        assert face["model"] is None
        assert set(face["figures"]) == {"facenet-feature-maps", "facenet-filters", "facenet-heatmap"}
        assert set(face["gallery"]) >= {"threshold", "unknown", "confidence", "matches", "label"}


def test_keep_makes_the_result_last(client, uploader):
    client.post(
        reverse("api_recognize"), {"image": upload(group_photo(JOHN)), "keep": "1"}, **bearer(uploader)
    )

    assert RecognitionResult.objects.get().expires_at is None
