"""Each crop is embedded once: review assistance embeds a pending crop, and once it is
approved the gallery job takes that vector instead of running FaceNet on it again,
unless the face's crop is no longer the one that was embedded."""

import numpy as np
import pytest

from identities.models import Face, FaceAssessment
from identities.review_services import review_override
from recognition.embedders.facenet import FaceNetEmbedder
from recognition.gallery.cache import EMBEDDER
from recognition.gallery.sync import gallery_sync
from recognition.models import FaceEmbedding
from recognition.services.review_assist import review_assist_run
from tests.factories import make_identity
from tests.recognition.gallery_faces import person_crops, stored_face

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_gallery():
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


@pytest.fixture
def embedded_crops(monkeypatch) -> list[int]:
    """How many crops each call of FaceNet's embed_crops was given."""
    calls = []
    original = FaceNetEmbedder.embed_crops

    def counting(self, crops, faces=None):
        calls.append(len(crops))
        return original(self, crops, faces)

    monkeypatch.setattr(FaceNetEmbedder, "embed_crops", counting)
    return calls


@pytest.fixture
def assessed_faces():
    """Ada's three pending crops, scored by review assistance."""
    ada = make_identity("Ada")
    faces = [stored_face(ada, crop) for crop in person_crops("7221")]
    review_assist_run()
    return faces


def gallery_vector(face: Face) -> bytes:
    return bytes(FaceEmbedding.objects.get(face=face, embedder=EMBEDDER).vector)


def test_approved_crops_take_their_review_vectors_and_embed_nothing(assessed_faces, admin, embedded_crops):
    for face in assessed_faces:
        review_override(actor=admin, face_id=face.pk, decision=Face.Status.APPROVED)

    summary = gallery_sync()

    assert embedded_crops == []
    assert (summary["embedded"], summary["from_review"]) == (0, 3)
    for face in assessed_faces:
        assert gallery_vector(face) == bytes(FaceAssessment.objects.get(face=face).vector)


def test_a_face_whose_crop_changed_since_it_was_scored_is_embedded_again(
    assessed_faces, admin, embedded_crops
):
    changed, kept = assessed_faces[0], assessed_faces[1]
    # As if re-cropped in place: the face now points at another stored crop.
    changed.file = assessed_faces[2].file
    changed.save(update_fields=["file"])
    for face in (changed, kept):
        review_override(actor=admin, face_id=face.pk, decision=Face.Status.APPROVED)

    summary = gallery_sync()

    assert embedded_crops == [1]
    assert (summary["embedded"], summary["from_review"]) == (1, 1)
    assert gallery_vector(kept) == bytes(FaceAssessment.objects.get(face=kept).vector)
    old_vector = np.frombuffer(bytes(FaceAssessment.objects.get(face=changed).vector), dtype=np.float32)
    new_vector = np.frombuffer(gallery_vector(changed), dtype=np.float32)
    assert float(old_vector @ new_vector) < 0.99


def test_a_vector_of_another_embedder_is_not_taken(assessed_faces, admin, embedded_crops):
    face = assessed_faces[0]
    FaceAssessment.objects.filter(face=face).update(embedder="model:7")
    review_override(actor=admin, face_id=face.pk, decision=Face.Status.APPROVED)

    assert gallery_sync()["from_review"] == 0
    assert embedded_crops == [1]
