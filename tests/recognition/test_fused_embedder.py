"""dlib's ResNet and FaceNet fused with it (FACESITE_GALLERY_EMBEDDER=facenet-dlib), on real
fixture photos: dlib tells the two people apart, a stored crop embeds as its photo's face,
the fused cosine is the weighted sum of the two, and the gallery answers with it."""

import io
import runpy
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from identities.images import stored_image_rgb
from identities.models import Face
from recognition.embedders.dlib_resnet import FusedEmbedder, dlib_embedder, fused_embedder
from recognition.embedders.facenet import FaceNetEmbedder, facenet_embedder
from recognition.gallery.sync import gallery_sync
from recognition.models import FaceEmbedding
from recognition.services.uploads import photo_analyse, photo_faces
from tests.factories import make_identity
from tests.recognition.gallery_faces import FIXTURES, person_crops, stored_face
from tests.recognition.uploads import photo

# The fixture person whose third photo stays out of the gallery as the probe.
HELD_OUT = FIXTURES / "celeba" / "7221" / "039709.jpg"
# A photo of the other fixture person.
OTHER = FIXTURES / "celeba" / "7271" / "001053.jpg"


@pytest.fixture(autouse=True)
def fresh_gallery():
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()
    yield
    gallery_cache_clear()


def photo_face(path) -> tuple[np.ndarray, object]:
    pixels = np.asarray(Image.open(path).convert("RGB"))
    return pixels, photo_faces(pixels)[0]


def crop_pixels(person: str, number: int) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(person_crops(person)[number].jpeg)).convert("RGB"))


def test_dlib_scores_one_person_above_two_people():
    embedder = dlib_embedder()
    paths = [HELD_OUT, FIXTURES / "celeba" / "7221" / "012125.jpg", OTHER]
    vectors = embedder.embed_chips([embedder.chip(*photo_face(path)) for path in paths])

    assert vectors.shape == (3, 128)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    same, different = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > different + 0.05


@pytest.mark.django_db
def test_a_stored_crop_embeds_as_the_face_of_its_photo():
    identity = make_identity("Ada")
    face = stored_face(identity, person_crops("7221")[2], Face.Status.APPROVED)
    embedder = dlib_embedder()

    from_photo = embedder.embed_chips([embedder.chip(*photo_face(HELD_OUT))])[0]
    from_crop = embedder.embed_crops([np.asarray(stored_image_rgb(face.file))], [face])[0]

    assert from_photo @ from_crop > 0.95


def test_the_fused_cosine_is_the_weighted_sum_of_both():
    faces = [photo_face(HELD_OUT), photo_face(OTHER)]

    def cosine(embedder) -> float:
        first, second = embedder.embed_chips([embedder.chip(pixels, face) for pixels, face in faces])
        return float(first @ second)

    fused = fused_embedder().embed_chips([fused_embedder().chip(pixels, face) for pixels, face in faces])
    weight = FusedEmbedder.facenet_weight
    assert fused.shape == (2, 640)
    assert np.allclose(np.linalg.norm(fused, axis=1), 1, atol=1e-5)
    expected = weight * cosine(facenet_embedder()) + (1 - weight) * cosine(dlib_embedder())
    assert cosine(fused_embedder()) == pytest.approx(expected, abs=1e-5)


@pytest.mark.django_db
def test_the_gallery_names_with_the_fused_embedder_when_chosen(settings, monkeypatch):
    settings.FACESITE_GALLERY_EMBEDDER = "facenet-dlib"
    ada = make_identity("Ada")
    for number in (0, 1):
        stored_face(ada, person_crops("7221")[number], Face.Status.APPROVED)
    facenet_chips = []
    embed_chips = FaceNetEmbedder.embed_chips
    monkeypatch.setattr(
        FaceNetEmbedder,
        "embed_chips",
        lambda self, chips: facenet_chips.extend(chips) or embed_chips(self, chips),
    )

    summary = gallery_sync()

    assert summary["embedded"] == 4  # each face by FaceNet alone and by the fused embedder...
    assert len(facenet_chips) == 2  # ...whose FaceNet half is FaceNet's row, not run again
    monkeypatch.undo()
    assert set(FaceEmbedding.objects.values_list("embedder", flat=True)) == {"facenet", "facenet-dlib"}
    (face,) = photo_analyse(photo(HELD_OUT)).faces
    gallery = face["gallery"]
    assert gallery["embedder"] == "facenet-dlib"
    assert gallery["name"] == "Ada"
    assert gallery["threshold"] >= FusedEmbedder.verification_threshold
    assert "FaceNet + dlib" in gallery["label"]


@pytest.mark.django_db
def test_a_stranger_is_unknown_to_a_one_person_fused_gallery(settings):
    settings.FACESITE_GALLERY_EMBEDDER = "facenet-dlib"
    ada = make_identity("Ada")
    for number in (0, 1, 2):
        stored_face(ada, person_crops("7221")[number], Face.Status.APPROVED)
    gallery_sync()

    (face,) = photo_analyse(photo(OTHER)).faces

    assert face["gallery"]["embedder"] == "facenet-dlib"
    assert face["gallery"]["unknown"]
    assert face["gallery"]["matches"][0]["score"] < face["gallery"]["threshold"]


def test_the_fused_embedder_is_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("FACESITE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.delenv("FACESITE_GALLERY_EMBEDDER", raising=False)

    configured = runpy.run_path(str(Path(__file__).parents[2] / "facesite" / "settings.py"))

    assert configured["FACESITE_GALLERY_EMBEDDER"] == "facenet-dlib"
