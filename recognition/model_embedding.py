"""A trained image model as an embedder: the activations that feed its softmax.

Only for the models that see pixels (small_cnn, inception_v3). A facenet_head model's
layer before the softmax is the FaceNet embedding times a constant (Rescaling, then a
Dropout that does nothing at inference), so its cosine similarities are FaceNet's
exactly: the gallery searches FaceNet's rows for such a model rather than storing copies.
"""

import numpy as np
from PIL import Image

from pipeline.cropping import face_crop_stored
from pipeline.detection import DetectedFace
from recognition.embedding import _l2_normalise
from recognition.models import ModelVersion


class ModelEmbedder:
    """The L2-normalised input of a model's "predictions" layer, for faces cut as stored crops."""

    def __init__(self, model_version: ModelVersion) -> None:
        if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
            raise ValueError(f"{model_version} embeds with FaceNet; use FaceNet's embedder.")
        from recognition.predicting import model_embedder_name

        self.model_version = model_version
        self.name = model_embedder_name(model_version.pk)
        self.label = f"{model_version}, layer before the softmax"

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
        return _l2_normalise(model_outputs(self._features(), inputs).astype(np.float32))

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        """Stored crops are already cut as chip() cuts a face, so they are embedded as chips."""
        return self.embed_chips(crops)

    def _features(self):
        from recognition.predicting import model_features

        return model_features(self.model_version)
