"""The "unknown" threshold: FaceNet's comes from the impostor model measured on LFW and
depends on the gallery's size, not on its faces; it exists from the first identity, rises
as the gallery grows, and never falls below the 1:1 threshold. The leave-one-out estimate
on the gallery's own faces remains for embedders without an impostor model."""

import numpy as np
import pytest

from identities.models import Face
from recognition.gallery.cache import EMBEDDER, gallery_matrix
from recognition.gallery.index import identity_scores
from recognition.gallery.thresholds import (
    CALIBRATION_MIN_IDENTITIES,
    gallery_threshold,
    gallery_threshold_rule,
    impostor_model,
    open_set_threshold,
    verification_threshold,
)
from recognition.models import FaceEmbedding
from tests.factories import make_identity, make_pending_faces

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_gallery():
    # Each test builds its own gallery; the process's copy of the last one must go.
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector, axis=-1, keepdims=True)


def synthetic_gallery(
    identities: int, faces_each: int, spread: float, shared: float = 0.0, seed: int = 0, first: int = 0
) -> None:
    """Approved faces with made-up unit vectors: each identity's faces scattered (spread)
    around its own direction, which leans (shared, 0 to 1) towards one common to all."""
    generator = np.random.default_rng(seed)
    common = unit(generator.normal(size=512))
    for number in range(first, first + identities):
        identity = make_identity(f"Person {number}")
        faces = make_pending_faces(identity, faces_each)
        Face.objects.filter(pk__in=[face.pk for face in faces]).update(status=Face.Status.APPROVED)
        centre = unit(shared * common + (1 - shared) * unit(generator.normal(size=512)))
        vectors = unit(centre + spread * unit(generator.normal(size=(faces_each, 512))))
        FaceEmbedding.objects.bulk_create(
            FaceEmbedding(face=face, embedder=EMBEDDER, vector=vector.astype(np.float32).tobytes())
            for face, vector in zip(faces, vectors, strict=True)
        )


def plain_core(vectors: np.ndarray) -> np.ndarray:
    """The unit mean of vectors, by plain arithmetic."""
    return unit(vectors.astype(np.float64).mean(axis=0))


def brute_force_stranger_scores(matrix) -> np.ndarray:
    """For every face, its best similarity to the core of another identity, by plain loops."""
    scores = []
    for row, vector in enumerate(matrix.vectors):
        others = set(matrix.identity_ids.tolist()) - {matrix.identity_ids[row]}
        scores.append(
            max(float(plain_core(matrix.vectors[matrix.identity_ids == other]) @ vector) for other in others)
        )
    return np.array(scores)


def test_one_identity_already_has_a_threshold_and_the_rule_says_what_set_it():
    synthetic_gallery(1, 1, spread=1.0)

    rule = gallery_threshold_rule()

    assert rule.named >= verification_threshold()
    assert rule.confident > rule.named
    assert "among 1 person and 1 face (each person scored by the mean of their faces) reaches" in rule.rule


def test_the_threshold_rises_with_the_gallerys_size():
    from recognition.gallery.cache import gallery_cache_clear

    thresholds = []
    for first, added in ((0, 1), (1, 4), (5, 25)):
        synthetic_gallery(added, 5, spread=1.0, seed=first, first=first)
        gallery_cache_clear()
        thresholds.append(gallery_threshold())

    assert thresholds[0] < thresholds[1] < thresholds[2]


def test_facenets_threshold_is_the_impostor_models_not_the_gallerys_own_faces():
    # Identities that all look alike raised the old estimate on the gallery's own faces;
    # what a stranger scores does not depend on who is enrolled.
    synthetic_gallery(12, 3, spread=0.3, shared=0.8)
    model = impostor_model(EMBEDDER)
    far = 0.01

    expected = max(model.threshold([3] * 12, far=far), verification_threshold())

    assert gallery_threshold() == pytest.approx(expected)
    assert open_set_threshold(gallery_matrix()) > gallery_threshold()


def test_a_small_gallery_has_no_estimate_of_its_own():
    synthetic_gallery(CALIBRATION_MIN_IDENTITIES - 1, 3, spread=1.0)

    assert open_set_threshold(gallery_matrix()) is None


def test_the_open_set_threshold_is_the_quantile_of_strangers_best_scores():
    synthetic_gallery(12, 4, spread=1.0)
    matrix = gallery_matrix()

    expected = np.quantile(brute_force_stranger_scores(matrix), 0.95)

    assert open_set_threshold(matrix, far=0.05) == pytest.approx(expected, abs=1e-5)


def test_identity_scores_are_each_identitys_core():
    synthetic_gallery(3, 5, spread=1.0)
    matrix = gallery_matrix()
    query = matrix.vectors[7]

    scores = identity_scores(matrix, query[None, :])[0]

    for group, identity_id in enumerate(matrix.group_identity_ids):
        rows = matrix.identity_ids == identity_id
        assert scores[group] == pytest.approx(float(plain_core(matrix.vectors[rows]) @ query), abs=1e-5)
