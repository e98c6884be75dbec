"""One answer per face, with its evidence: a stranger against a small gallery is unknown
with the reason; an enrolled person is named with the enrolled face that matched and the
score against the threshold, in the page and the API's JSON; a face too poor to judge
says so; and the gallery and an active model are combined by face_verdict's rule."""

from django.urls import reverse

from identities.models import Face
from pipeline import quality
from pipeline.quality import FaceQuality
from recognition.models import RecognitionResult
from recognition.services.answers import face_verdict
from tests.recognition.uploads import JANE, JANE_AGAIN, JOHN, bearer, gallery_enrol, photo, upload

JANE_ENROLLED = [JANE_AGAIN, JANE.parent / "039709.jpg"]
FINE = FaceQuality(size=120, confidence=0.99, sharpness=200.0)


def test_a_stranger_against_a_small_gallery_is_unknown_with_the_reason(uploader_web, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": JANE_ENROLLED})

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})

    (face,) = RecognitionResult.objects.get().faces
    assert (face["verdict"], face["name"]) == ("unknown", None)
    assert "below the threshold" in face["reason"]
    assert "1 person and 2 faces" in face["gallery"]["rule"]
    page = uploader_web.get(RecognitionResult.objects.get().get_absolute_url()).content.decode()
    assert face["reason"] in page and "1: unknown</a>" in page


def test_an_enrolled_person_is_named_with_the_face_that_matched_and_the_score(uploader_web, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": JANE_ENROLLED})

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JANE))})

    result = RecognitionResult.objects.get()
    (face,) = result.faces
    gallery = face["gallery"]
    assert face["verdict"] in ("named", "uncertain") and face["name"] == "Jane Doe"
    assert gallery["matches"][0]["score"] >= gallery["threshold"]
    jane_faces = set(Face.objects.filter(identity__name="Jane Doe").values_list("pk", flat=True))
    assert gallery["matched_face_id"] in jane_faces
    page = uploader_web.get(result.get_absolute_url()).content.decode()
    match_url = reverse("recognition_match", args=[result.pk, 1])
    assert f'src="{match_url}"' in page
    assert f"against the threshold {gallery['threshold']:.2f}" in page
    image = uploader_web.get(match_url)
    assert image.status_code == 200 and image["Content-Type"].startswith("image/")


def test_the_api_returns_the_verdict_and_its_evidence(client, uploader, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": JANE_ENROLLED})

    response = client.post(reverse("api_recognize"), {"image": upload(photo(JANE))}, **bearer(uploader))

    (face,) = response.json()["faces"]
    assert face["name"] == "Jane Doe" and face["verdict"] in ("named", "uncertain")
    assert face["reason"] and face["quality"]["problem"] == ""
    assert face["gallery"]["matched_face_id"] is not None
    assert face["gallery"]["rule"].startswith("The 1:1 threshold") or "at most" in face["gallery"]["rule"]


def test_a_face_too_small_to_judge_says_so_rather_than_naming_it(uploader_web, tmp_path, monkeypatch):
    gallery_enrol(tmp_path / "people", {"Jane Doe": JANE_ENROLLED})
    # Jane's face in the fixture is about 100 pixels high: make that too small.
    monkeypatch.setattr(quality, "JUDGE_MIN_SIZE", 10_000)

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JANE))})

    (face,) = RecognitionResult.objects.get().faces
    assert (face["verdict"], face["name"]) == ("too poor", None)
    assert face["reason"].startswith("The face is too small to name")
    assert face["gallery"]["name"] == "Jane Doe"  # the list below still shows the gallery's view


def gallery_answer(name: str | None, identity_id: int | None, confidence: str, score: float = 0.6) -> dict:
    return {
        "unknown": confidence == "unknown",
        "confidence": confidence,
        "name": name,
        "identity_id": identity_id,
        "threshold": 0.5,
        "confident_threshold": 0.58,
        "matches": [{"identity_id": 1, "name": "Ada", "score": score}],
    }


def model_answer(name: str | None, identity_id: int | None) -> dict:
    return {"unknown": name is None, "name": name, "identity_id": identity_id}


def test_the_model_naming_someone_else_makes_the_answer_uncertain_without_a_name():
    verdict = face_verdict(FINE, gallery_answer("Ada", 1, "confident"), model_answer("Bea", 2))
    assert (verdict["verdict"], verdict["name"]) == ("uncertain", None)
    assert "Ada" in verdict["reason"] and "Bea" in verdict["reason"]


def test_the_model_agreeing_makes_an_uncertain_gallery_answer_named():
    gallery = gallery_answer("Ada", 1, "uncertain", score=0.52)
    assert face_verdict(FINE, gallery, None)["verdict"] == "uncertain"
    assert face_verdict(FINE, gallery, model_answer("Ada", 1))["verdict"] == "named"


def test_the_model_alone_never_names_a_face_the_gallery_calls_unknown():
    verdict = face_verdict(FINE, gallery_answer(None, None, "unknown", score=0.3), model_answer("Ada", 1))
    assert (verdict["verdict"], verdict["name"]) == ("unknown", None)


def test_a_model_that_says_unknown_does_not_contradict_a_confident_gallery():
    verdict = face_verdict(FINE, gallery_answer("Ada", 1, "confident"), model_answer(None, None))
    assert (verdict["verdict"], verdict["name"]) == ("named", "Ada")
