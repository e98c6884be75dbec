"""The impostor model: what a stranger's best match reaches over a gallery of cores,
measured on labelled vectors (here made up: people scattered around their own direction)."""

import numpy as np
import pytest

from recognition.ml.impostors import CORE_SIZES, ImpostorModel, measure


def people_vectors(people: int, faces_each: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    centres = generator.normal(size=(people, 64))
    vectors = np.repeat(centres, faces_each, axis=0) + 0.8 * generator.normal(size=(people * faces_each, 64))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), np.repeat(np.arange(people), faces_each)


@pytest.fixture(scope="module")
def model() -> ImpostorModel:
    vectors, labels = people_vectors(300, 10)
    return measure(vectors, labels, source="made up")


def test_a_single_face_tail_is_the_share_of_different_person_pairs_reaching_a_score(model):
    vectors, labels = people_vectors(300, 10)
    scores = vectors @ vectors.T
    others = labels[:, None] != labels[None, :]
    for score in (0.1, 0.2, 0.3):
        assert model.tail(score, faces=1) == pytest.approx(np.mean(scores[others] >= score), rel=0.05)


def test_a_tail_is_measured_for_each_core_size(model):
    assert model.core_sizes == list(CORE_SIZES)
    assert len(model.tails) == len(CORE_SIZES)
    # Identities of 4 faces take the tail of cores of 5; past the largest, the largest.
    assert model.tail(0.3, faces=4) == model.tail(0.3, faces=5)
    assert model.tail(0.3, faces=50) == model.tail(0.3, faces=CORE_SIZES[-1])


def test_the_threshold_exists_for_one_identity_and_rises_with_the_gallery(model):
    one = model.threshold([1], far=0.01)
    assert model.threshold([], far=0.01) == one
    assert one < model.threshold([1] * 10, far=0.01) < model.threshold([1] * 100, far=0.01)
    assert model.threshold([1] * 10, far=0.01) > model.threshold([1] * 10, far=0.1)


def test_at_the_threshold_a_stranger_is_named_far_of_the_time(model):
    faces = [1] * 20 + [5] * 30
    far = 0.02
    threshold = model.threshold(faces, far=far)
    survival = np.prod([1 - model.tail(threshold, faces=count) for count in faces])
    assert 1 - survival == pytest.approx(far, rel=1e-3)


def test_it_is_written_and_read_back_unchanged(model, tmp_path):
    path = tmp_path / "impostors.json"
    model.save(path)
    assert ImpostorModel.load(path) == model
