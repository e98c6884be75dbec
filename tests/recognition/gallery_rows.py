"""A gallery written as rows only, with chosen unit vectors, for the lookalike tests: each
person is a direction and each face that direction plus a little noise (same person about
0.9, two people about 0). A face is like another identity at the 1:1 threshold, 0.35
(recognition.gallery.lookalikes.lookalike_threshold)."""

import numpy as np

from identities.models import Face, Identity
from recognition.gallery import cache as gallery
from recognition.gallery.cache import EMBEDDER, gallery_cache_clear
from recognition.models import FaceEmbedding
from tests.factories import make_face, make_identity


def gallery_clock_freeze(monkeypatch) -> None:
    """A frozen clock: the gallery copy is read again only after a change made here."""
    gallery_cache_clear()
    monkeypatch.setattr(gallery.time, "monotonic", lambda: 1000.0)


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def direction(seed: int) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=512))


def near(vector: np.ndarray, seed: int, noise: float = 0.35) -> np.ndarray:
    return unit(vector + noise * direction(seed))


def approved(identity: Identity, vector: np.ndarray) -> Face:
    """An approved face with its FaceNet row, as the gallery job writes it."""
    face = make_face(identity, status=Face.Status.APPROVED)
    FaceEmbedding.objects.create(face=face, embedder=EMBEDDER, vector=vector.tobytes())
    return face


def people_make() -> dict:
    """Ada (three faces and one of Bea's filed under her), Bea (three faces), Cleo."""
    ada, bea, cleo = make_identity("Ada"), make_identity("Bea"), make_identity("Cleo")
    bea_vectors = [near(direction(2), seed) for seed in (21, 22, 23)]
    ada_faces = [approved(ada, near(direction(1), seed)) for seed in (11, 12, 13)]
    bea_faces = [approved(bea, vector) for vector in bea_vectors]
    bystander = approved(ada, near(bea_vectors[1], 99, noise=0.1))
    for seed in (31, 32):
        approved(cleo, near(direction(3), seed))
    return {
        "ada": ada,
        "bea": bea,
        "ada_faces": ada_faces,
        "bea_faces": bea_faces,
        "bea_vectors": bea_vectors,
        "bystander": bystander,
    }
