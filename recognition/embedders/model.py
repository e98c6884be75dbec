"""A trained model in this process: its Keras model loaded once, and the activations that
feed its softmax as an embedder.

Only models that see pixels embed this way (their architecture's `gallery_embedder`
says so): a FaceNet head's layer before the softmax is the FaceNet embedding times a
constant, so its cosine similarities are FaceNet's exactly and the gallery searches
FaceNet's rows for it.

Model files never change after training, so the caches here need no invalidation beyond
a deleted model's entries (`model_forget`).
"""

import threading

import numpy as np
from PIL import Image

from facesite.files import atomic_path
from identities.images import stored_image_rgb
from pipeline.cropping import face_crop_stored
from pipeline.datasets import dataset_split_items
from pipeline.detection import DetectedFace
from recognition.ml.inputs import chips_resize
from recognition.ml.networks import PREDICT_BATCH, features_model, model_file_load, model_outputs
from recognition.ml.scores import l2_normalise

# Training faces whose mean is a model's feature centre: about 5 s for the small CNN and
# 2 minutes for Inception V3 on 2 cores, once per model; the mean of 2,000 is steady.
CENTRE_SAMPLE = 2000
CENTRE_FILE = "feature-centre.npy"

# Per model version id: its keras.Model and the sub-model ending before its softmax...
_models: dict[int, object] = {}
_feature_models: dict[int, object] = {}
_lock = threading.Lock()
# ...and its feature centre, under a lock of its own: it is held while a centre is
# computed, which runs the model (taking the lock above).
_centres: dict[int, np.ndarray] = {}
_centres_lock = threading.Lock()


def model_keras(model_version):
    """The keras.Model of a version, loaded once per process."""
    with _lock:
        if model_version.pk not in _models:
            _models[model_version.pk] = model_file_load(model_version.model_path())
        return _models[model_version.pk]


def model_features(model_version):
    """The model cut at the input of its softmax layer ("predictions"), built once per process."""
    model = model_keras(model_version)
    with _lock:
        if model_version.pk not in _feature_models:
            _feature_models[model_version.pk] = features_model(model)
        return _feature_models[model_version.pk]


def model_forget(model_version_pk: int) -> None:
    """Drop a (deleted) model from this process."""
    with _lock:
        _models.pop(model_version_pk, None)
        _feature_models.pop(model_version_pk, None)
    with _centres_lock:
        _centres.pop(model_version_pk, None)


def model_embedder_name(model_version_pk: int) -> str:
    """What FaceEmbedding.embedder says for a model's gallery rows."""
    return f"model-{model_version_pk}"


class ModelEmbedder:
    """The input of a model's "predictions" layer, centred on its training faces' mean and
    L2-normalised, for faces cut as stored crops."""

    def __init__(self, model_version) -> None:
        self.model_version = model_version
        self.name = model_embedder_name(model_version.pk)
        self.label = f"{model_version}'s layer before the softmax"

    @property
    def dimension(self) -> int:
        return int(model_features(self.model_version).output_shape[-1])

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The face cut as the importer cuts stored crops, which is what the model learned from."""
        return np.asarray(face_crop_stored(Image.fromarray(np.asarray(image)[..., :3]), face))

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """Chips resized as prediction resizes them, run to the layer before the softmax."""
        if not chips:
            return np.zeros((0, self.dimension), dtype=np.float32)
        inputs = chips_resize(chips, self.model_version.config["input_size"])
        features = model_outputs(model_features(self.model_version), inputs).astype(np.float32)
        return l2_normalise(features - model_feature_centre(self.model_version))

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        """Stored crops are already cut as chip() cuts a face, so they are embedded as chips."""
        return self.embed_chips(crops)


def model_feature_centre(model_version) -> np.ndarray:
    """The mean raw features of (a seeded sample of) the model's training faces.

    The layer before a softmax follows a ReLU and pooling, so no feature is negative and
    any two faces' vectors point nearly the same way: on a small CNN of 12 people every
    raw cosine similarity fell between 0.99 and 1, too close to rank by or to put a
    threshold in. Subtracting the training faces' mean first, as FaceNet's LFW protocol
    subtracts the mean embedding, spreads them over [-1, 1].

    Computed once per model and saved beside its model file. Zeros (no centring) when
    none of its training crops can be read.
    """
    with _centres_lock:
        if model_version.pk not in _centres:
            path = model_version.artifact_path() / CENTRE_FILE
            if not path.exists():
                with atomic_path(path) as partial:
                    np.save(partial, _training_mean(model_version))
            _centres[model_version.pk] = np.load(path)
        return _centres[model_version.pk]


def _training_mean(model_version) -> np.ndarray:
    features = model_features(model_version)
    names = [name for name, _, _ in dataset_split_items(model_version.dataset, "train")]
    generator = np.random.default_rng(model_version.config.get("seed", 0))
    if len(names) > CENTRE_SAMPLE:
        names = list(generator.choice(names, size=CENTRE_SAMPLE, replace=False))
    total, count = np.zeros(features.output_shape[-1], dtype=np.float64), 0
    for start in range(0, len(names), PREDICT_BATCH):
        crops = []
        for name in names[start : start + PREDICT_BATCH]:
            try:
                crops.append(np.asarray(stored_image_rgb(name)))
            except (OSError, ValueError):
                continue  # a crop gone from storage only leaves the mean a face short
        if crops:
            inputs = chips_resize(crops, model_version.config["input_size"])
            total += model_outputs(features, inputs).sum(axis=0)
            count += len(crops)
    return (total / max(count, 1)).astype(np.float32)
