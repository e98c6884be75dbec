"""A trained image model as the gallery's embedder: its layer before the softmax, searched
only once every gallery face has a row of it, kept up to date by the gallery job."""

import runpy
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from identities.images import stored_image_rgb
from identities.models import Face, Identity
from pipeline.datasets import dataset_split_items
from pipeline.models import JobRun
from recognition.embedders.model import ModelEmbedder, model_feature_centre, model_features
from recognition.gallery.cache import EMBEDDER, gallery_matrix
from recognition.gallery.policy import gallery_model_embedder, gallery_search_embedder
from recognition.gallery.sync import gallery_sync
from recognition.gallery.thresholds import (
    gallery_threshold,
    open_set_threshold,
    pair_threshold,
    verification_threshold,
)
from recognition.ml.inputs import chips_resize
from recognition.models import FaceEmbedding, ModelVersion
from recognition.services.registry import model_version_delete
from tests.factories import make_face, make_identity
from tests.recognition.uploads import tiny_active_model
from tests.training.builders import approved_face, make_tiny_dataset
from tests.workers import burst_work

# The small CNN's layer before the softmax: global average pooling of its last 256 filters.
SMALL_CNN_FEATURES = 256


@pytest.fixture(autouse=True)
def fresh_gallery():
    # Each test builds its own gallery; the process's copy of the last one must go.
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


@pytest.fixture
def model_gallery(settings):
    settings.FACESITE_GALLERY_EMBEDDER = "active-model"


def unit_rows(count: int, dimension: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def embed_rows(faces: list[Face], embedder: str, vectors: np.ndarray) -> None:
    FaceEmbedding.objects.bulk_create(
        FaceEmbedding(face=face, embedder=embedder, vector=vector.tobytes())
        for face, vector in zip(faces, vectors, strict=True)
    )


def gallery_faces(identities: list, faces_each: int) -> list[Face]:
    """Approved faces (rows only) with random FaceNet rows."""
    faces = [
        make_face(identity, status=Face.Status.APPROVED) for identity in identities for _ in range(faces_each)
    ]
    embed_rows(faces, EMBEDDER, unit_rows(len(faces), 512, seed=1))
    return faces


def test_the_embedding_is_the_unit_length_input_of_the_softmax(db):
    model_version = tiny_active_model([make_identity("A"), make_identity("B")])
    embedder = ModelEmbedder(model_version)
    crops = [np.random.default_rng(seed).integers(0, 256, (160, 160, 3), dtype=np.uint8) for seed in range(3)]

    vectors = embedder.embed_crops(crops, [None] * 3)

    assert embedder.name == f"model-{model_version.pk}" and len(embedder.name) <= 32
    assert "layer before the softmax" in embedder.label and str(model_version) in embedder.label
    assert embedder.dimension == SMALL_CNN_FEATURES
    assert vectors.shape == (3, SMALL_CNN_FEATURES) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    features = np.asarray(model_features(model_version)(chips_resize(crops, 32), training=False))
    np.testing.assert_allclose(vectors, features / np.linalg.norm(features, axis=1, keepdims=True), atol=1e-5)
    assert embedder.embed_chips([]).shape == (0, SMALL_CNN_FEATURES)


def test_features_are_centred_on_the_training_faces_mean_once_per_model(db):
    dataset = make_tiny_dataset(identities=2)
    model_version = tiny_active_model(list(Identity.objects.order_by("pk")))
    ModelVersion.objects.filter(pk=model_version.pk).update(dataset=dataset)
    model_version.refresh_from_db()
    names = [name for name, _, _ in dataset_split_items(dataset, "train")]
    crops = [np.asarray(stored_image_rgb(name)) for name in names]
    raw = np.asarray(model_features(model_version)(chips_resize(crops, 32), training=False))

    vectors = ModelEmbedder(model_version).embed_crops(crops, [None] * len(crops))

    centre = raw.mean(axis=0)
    np.testing.assert_allclose(model_feature_centre(model_version), centre, atol=1e-5)
    assert (model_version.artifact_path() / "feature-centre.npy").exists()
    centred = raw - centre
    np.testing.assert_allclose(vectors, centred / np.linalg.norm(centred, axis=1, keepdims=True), atol=1e-4)
    # ReLU features all point one way; centred, the training faces spread out.
    raw_unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    off_diagonal = ~np.eye(len(crops), dtype=bool)
    assert (raw_unit @ raw_unit.T)[off_diagonal].mean() > 0.8
    assert (vectors @ vectors.T)[off_diagonal].mean() < 0.1


def test_a_facenet_head_model_searches_facenets_rows(db, model_gallery):
    tiny_active_model([make_identity("A"), make_identity("B")], architecture="facenet_head")

    assert gallery_model_embedder(ModelVersion.objects.active().first()) is None
    assert gallery_search_embedder(ModelVersion.objects.active().first()).name == EMBEDDER


def test_the_model_answers_only_once_every_gallery_face_has_its_row(db, model_gallery):
    identities = [make_identity(f"Person {letter}") for letter in "ABC"]
    model_version = tiny_active_model(identities)
    name = f"model-{model_version.pk}"
    faces = gallery_faces(identities, faces_each=2)
    embed_rows(faces[:-1], name, unit_rows(len(faces) - 1, SMALL_CNN_FEATURES, seed=2))

    assert gallery_search_embedder(ModelVersion.objects.active().first()).name == EMBEDDER

    embed_rows(faces[-1:], name, unit_rows(1, SMALL_CNN_FEATURES, seed=3))

    assert gallery_search_embedder(ModelVersion.objects.active().first()).name == name
    assert gallery_matrix(name).vectors.shape == (6, SMALL_CNN_FEATURES)
    assert gallery_matrix(EMBEDDER).vectors.shape == (6, 512)


def test_with_the_default_setting_the_gallery_searches_facenet(db):
    identities = [make_identity("A"), make_identity("B")]
    model_version = tiny_active_model(identities)
    faces = gallery_faces(identities, faces_each=1)
    embed_rows(faces, f"model-{model_version.pk}", unit_rows(2, SMALL_CNN_FEATURES, seed=2))

    assert gallery_search_embedder(ModelVersion.objects.active().first()).name == EMBEDDER


def clustered_rows(identities: int, faces_each: int, spread: float, dimension: int = 64) -> np.ndarray:
    generator = np.random.default_rng(5)
    centres = generator.normal(size=(identities, dimension))
    noise = generator.normal(size=(identities * faces_each, dimension))
    vectors = np.repeat(centres, faces_each, axis=0) + spread * noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_a_model_embedders_floor_is_a_1_to_1_threshold_from_the_gallery_not_lfws(db):
    identities = [make_identity(f"Person {number}") for number in range(12)]
    faces = [make_face(identity, status=Face.Status.APPROVED) for identity in identities for _ in range(4)]
    embed_rows(faces, "model-999", clustered_rows(12, 4, spread=0.35))
    matrix = gallery_matrix("model-999")
    same = matrix.vectors[0] @ matrix.vectors[1:4].T
    different = matrix.vectors[0] @ matrix.vectors[4:].T

    floor = pair_threshold(matrix)

    assert different.max() < floor < same.min()
    assert floor != pytest.approx(verification_threshold())
    assert gallery_threshold("model-999") == pytest.approx(max(floor, open_set_threshold(matrix)))


def test_a_gallery_of_one_identity_gives_no_pair_threshold_to_name_anyone_by(db):
    identity = make_identity("Alone")
    faces = [make_face(identity, status=Face.Status.APPROVED) for _ in range(3)]
    embed_rows(faces, "model-999", clustered_rows(1, 3, spread=0.3))

    assert pair_threshold(gallery_matrix("model-999")) == 1.0


@pytest.mark.django_db(transaction=True)
def test_activating_a_model_embeds_the_gallery_with_it(admin_web, rq_queues, settings):
    identities = [make_identity("Red"), make_identity("Green")]
    faces = [
        approved_face(identity, label, variant)
        for label, identity in enumerate(identities)
        for variant in (0, 1)
    ]
    model_version = tiny_active_model(identities)
    ModelVersion.objects.filter(pk=model_version.pk).update(is_active=False)
    activate = reverse("model_activate", args=[model_version.pk])

    admin_web.post(activate)
    assert not JobRun.objects.filter(kind="gallery").exists()  # FaceNet alone: nothing to embed

    ModelVersion.objects.filter(pk=model_version.pk).update(is_active=False)
    settings.FACESITE_GALLERY_EMBEDDER = "active-model"
    admin_web.post(activate)
    burst_work("process")

    assert JobRun.objects.get(kind="gallery").status == JobRun.Status.FINISHED
    name = f"model-{model_version.pk}"
    rows = dict(FaceEmbedding.objects.filter(embedder=name).values_list("face_id", "vector"))
    assert set(rows) == {face.pk for face in faces}
    assert FaceEmbedding.objects.filter(embedder=EMBEDDER).count() == len(faces)
    crops = [np.asarray(stored_image_rgb(face.file)) for face in faces]
    expected = ModelEmbedder(model_version).embed_crops(crops, faces)
    stored = np.stack([np.frombuffer(rows[face.pk], dtype=np.float32) for face in faces])
    np.testing.assert_allclose(stored, expected, atol=1e-5)
    assert gallery_search_embedder(ModelVersion.objects.active().first()).name == name


def test_a_model_that_cannot_embed_leaves_facenets_rows_done_and_says_why(db, model_gallery):
    identities = [make_identity("Red"), make_identity("Green")]
    faces = [approved_face(identity, label, 0) for label, identity in enumerate(identities)]
    model_version = tiny_active_model(identities)
    model_version.model_path().unlink()  # removed by hand

    summary = gallery_sync()

    assert "could not embed faces" in summary["model_error"] and str(model_version) in summary["model_error"]
    assert FaceEmbedding.objects.filter(embedder=EMBEDDER).count() == len(faces)
    assert not FaceEmbedding.objects.filter(embedder=f"model-{model_version.pk}").exists()
    assert gallery_search_embedder(ModelVersion.objects.active().first()).name == EMBEDDER


def test_deleting_a_model_deletes_its_gallery_rows(db, admin, django_capture_on_commit_callbacks):
    identities = [make_identity("A"), make_identity("B")]
    model_version = tiny_active_model(identities)
    ModelVersion.objects.filter(pk=model_version.pk).update(is_active=False)
    model_version.refresh_from_db()
    faces = gallery_faces(identities, faces_each=1)
    embed_rows(faces, f"model-{model_version.pk}", unit_rows(2, SMALL_CNN_FEATURES, seed=2))

    with django_capture_on_commit_callbacks(execute=True):
        model_version_delete(model_version=model_version, actor=admin)

    assert list(FaceEmbedding.objects.values_list("embedder", flat=True).distinct()) == [EMBEDDER]


def test_an_unknown_gallery_embedder_setting_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("FACESITE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.setenv("FACESITE_GALLERY_EMBEDDER", "model-12")
    settings_file = Path(__file__).parents[2] / "facesite" / "settings.py"

    with pytest.raises(
        ImproperlyConfigured, match="GALLERY_EMBEDDER must be one of facenet-dlib, facenet, active-model"
    ):
        runpy.run_path(str(settings_file))
