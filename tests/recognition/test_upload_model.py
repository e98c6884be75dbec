"""With a trained model active, each face gets its answer too, labelled apart from the gallery's."""

from django.urls import reverse

from recognition.models import RecognitionResult
from tests.factories import make_identity
from tests.recognition.uploads import JOHN, photo, tiny_active_model, upload


def test_the_active_models_top_five_is_shown_beside_the_gallerys(uploader_web, db):
    identities = [make_identity(f"Person {letter}") for letter in "ABCDEF"]
    model_version = tiny_active_model(identities, unknown_threshold=0.99)

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})

    result = RecognitionResult.objects.get()
    [face] = result.faces
    model = face["model"]
    assert result.model_version == model_version
    assert model["method"] == "model" and str(model_version) in model["label"]
    assert face["gallery"]["method"] == "gallery" and "Gallery" in face["gallery"]["label"]
    scores = [match["score"] for match in model["matches"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert {match["name"] for match in model["matches"]} <= {identity.name for identity in identities}
    # Six classes share the probability, so none reaches 0.99: unknown by the model's threshold.
    assert model["unknown"] and model["threshold"] == 0.99
    page = uploader_web.get(result.get_absolute_url()).content.decode()
    assert str(model_version) in page and "Person" in page


def test_a_broken_model_leaves_the_gallerys_answer(uploader_web, db):
    import shutil

    model_version = tiny_active_model([make_identity("A"), make_identity("B")])
    shutil.rmtree(model_version.artifact_path())

    response = uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})

    [face] = RecognitionResult.objects.get().faces
    assert response.status_code == 302
    assert face["gallery"]["method"] == "gallery" and "could not be used" in face["model"]["error"]
    page = uploader_web.get(response["Location"]).content.decode()
    assert "could not be used" in page and "model-heatmap" not in page
    figure = uploader_web.get(response["Location"] + "faces/1/model-heatmap.png")
    assert figure.status_code == 404 and "could not be loaded" in figure.content.decode()
