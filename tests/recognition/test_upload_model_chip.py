"""An image model is shown an uploaded face cut as the stored crops it was trained on, that
cut is kept with the result for the model's figures, and the gallery searches with the
model's embedding once every gallery face has one."""

import numpy as np
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from pipeline.cropping import face_crop
from recognition.architectures.base import Architecture
from recognition.models import FaceEmbedding, RecognitionResult
from recognition.services import figures
from recognition.services.results import result_chip, result_chip_name, result_model_chip
from tests.factories import make_identity
from tests.recognition.uploads import JOHN, photo, tiny_active_model, upload


@pytest.fixture(autouse=True)
def fresh_gallery():
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


@pytest.fixture
def model_chips_seen(monkeypatch):
    """The chips the active model is asked to score, in order."""
    seen = []
    predict = Architecture.predict

    def spy(adapter, chips):
        seen.extend(chips)
        return predict(adapter, chips)

    monkeypatch.setattr(Architecture, "predict", spy)
    return seen


def stored_crop_of(result: RecognitionResult) -> np.ndarray:
    box = result.faces[0]["box"]
    image = Image.open(default_storage.open(result.photo)).convert("RGB")
    box = (box["left"], box["top"], box["width"], box["height"])
    return np.asarray(face_crop(image, box, settings.FACESITE_CROP_MARGIN, settings.FACESITE_CROP_SIZE))


def test_an_image_model_sees_the_face_cut_as_stored_crops_are(uploader_web, db, model_chips_seen):
    tiny_active_model([make_identity("A"), make_identity("B")])

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})

    result = RecognitionResult.objects.get()
    [chip] = model_chips_seen
    np.testing.assert_array_equal(chip, stored_crop_of(result))
    np.testing.assert_array_equal(result_model_chip(result, 1), chip)
    # FaceNet's chip, kept for the gallery's figures, is another cut of the face.
    assert not np.array_equal(result_chip(result, 1), chip)


def test_the_models_figures_are_drawn_on_the_cut_it_saw(uploader_web, db, monkeypatch):
    tiny_active_model([make_identity("A"), make_identity("B")])
    response = uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})
    result = RecognitionResult.objects.get()
    drawn = {}

    def recorder(slug):
        def draw(result, number, chip):
            drawn[slug] = chip
            return b"a figure"

        return draw

    for slug in ("model-heatmap", "facenet-filters"):
        monkeypatch.setitem(figures.FIGURES, slug, (slug, recorder(slug)))
        assert uploader_web.get(response["Location"] + f"faces/1/{slug}.png").content == b"a figure"

    np.testing.assert_array_equal(drawn["model-heatmap"], result_model_chip(result, 1))
    np.testing.assert_array_equal(drawn["facenet-filters"], result_chip(result, 1))
    # A result stored before models saw stored-crop cuts: its model saw FaceNet's chip.
    default_storage.delete(result_chip_name(result, 1, "model"))
    np.testing.assert_array_equal(result_model_chip(result, 1), result_chip(result, 1))


def test_a_facenet_head_model_keeps_facenets_chip_and_stores_no_other(uploader_web, db, model_chips_seen):
    tiny_active_model([make_identity("A"), make_identity("B")], architecture="facenet_head")

    uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})

    result = RecognitionResult.objects.get()
    np.testing.assert_array_equal(model_chips_seen[0], result_chip(result, 1))
    assert not default_storage.exists(result_chip_name(result, 1, "model"))


def test_the_gallery_answers_with_the_model_once_its_rows_are_complete(uploader_web, db, settings):
    from identities.models import Face
    from recognition.embedders.model import ModelEmbedder
    from tests.factories import make_face

    settings.FACESITE_GALLERY_EMBEDDER = "active-model"
    identities = [make_identity("A"), make_identity("B")]
    model_version = tiny_active_model(identities)
    for number, identity in enumerate(identities):
        face = make_face(identity, status=Face.Status.APPROVED)
        for embedder, dimension in (("facenet", 512), (f"model-{model_version.pk}", 256)):
            vector = np.eye(dimension, dtype=np.float32)[number]
            FaceEmbedding.objects.create(face=face, embedder=embedder, vector=vector.tobytes())

    response = uploader_web.post(reverse("recognize"), {"image": upload(photo(JOHN))})

    [face] = RecognitionResult.objects.get().faces
    gallery = face["gallery"]
    assert gallery["embedder"] == f"model-{model_version.pk}"
    assert gallery["label"] == f"Gallery: 2 approved faces compared by {ModelEmbedder(model_version).label}"
    page = uploader_web.get(response["Location"]).content.decode()
    assert "2 approved faces compared by Model" in page
