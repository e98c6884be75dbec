"""A trained image model as an embedder: the activations that feed its softmax.

Only for the models that see pixels (small_cnn, inception_v3). A facenet_head model's
layer before the softmax is the FaceNet embedding times a constant (Rescaling, then a
Dropout that does nothing at inference), so its cosine similarities are FaceNet's
exactly: the gallery searches FaceNet's rows for such a model rather than storing copies.
"""

import os
import threading

import numpy as np
from PIL import Image

from pipeline.cropping import face_crop_stored
from pipeline.detection import DetectedFace
from recognition.embedding import _l2_normalise
from recognition.models import ModelVersion

# Training faces whose mean is a model's feature centre: about 5 s for the small CNN and
# 2 minutes for Inception V3 on 2 cores, once per model; the mean of 2,000 is steady.
CENTRE_SAMPLE = 2000
CENTRE_FILE = "feature-centre.npy"
_centres: dict[int, np.ndarray] = {}
_centres_lock = threading.Lock()


class ModelEmbedder:
    """The input of a model's "predictions" layer, centred on its training faces' mean and
    L2-normalised, for faces cut as stored crops."""

    def __init__(self, model_version: ModelVersion) -> None:
        if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
            raise ValueError(f"{model_version} embeds with FaceNet; use FaceNet's embedder.")
        from recognition.predicting import model_embedder_name

        self.model_version = model_version
        self.name = model_embedder_name(model_version.pk)
        self.label = f"{model_version}'s layer before the softmax"

    @property
    def dimension(self) -> int:
        return int(self._features().output_shape[-1])

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The face cut as the importer cuts stored crops, which is what the model learned from."""
        return np.asarray(face_crop_stored(Image.fromarray(np.asarray(image)[..., :3]), face))

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """Chips resized as prediction resizes them, run to the layer before the softmax."""
        from recognition.predicting import model_outputs
        from recognition.training import chips_resize

        if not chips:
            return np.zeros((0, self.dimension), dtype=np.float32)
        inputs = chips_resize(chips, self.model_version.config["input_size"])
        features = model_outputs(self._features(), inputs).astype(np.float32)
        return _l2_normalise(features - model_feature_centre(self.model_version))

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        """Stored crops are already cut as chip() cuts a face, so they are embedded as chips."""
        return self.embed_chips(crops)

    def _features(self):
        from recognition.predicting import model_features

        return model_features(self.model_version)


def model_feature_centre(model_version: ModelVersion) -> np.ndarray:
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
                partial = path.with_name("feature-centre.partial.npy")
                np.save(partial, _training_mean(model_version))
                os.replace(partial, path)
            _centres[model_version.pk] = np.load(path)
        return _centres[model_version.pk]


def _training_mean(model_version: ModelVersion) -> np.ndarray:
    from identities.images import stored_image_rgb
    from pipeline.datasets import dataset_split_items
    from recognition.predicting import PREDICT_BATCH, model_features, model_outputs
    from recognition.training import chips_resize

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


def model_centre_forget(model_version_pk: int) -> None:
    """Drop a (deleted) model's centre from this process."""
    with _centres_lock:
        _centres.pop(model_version_pk, None)
