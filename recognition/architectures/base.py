"""What every architecture's adapter answers, and the parts image models share."""

import math

import numpy as np
from django.core.files.storage import default_storage

from facesite.errors import FacesiteError
from identities.images import stored_image_rgb
from pipeline.augmentation import augmentation_layers
from pipeline.datasets import dataset_split_items
from recognition.embedders.base import Embedder
from recognition.embedders.model import ModelEmbedder, model_keras
from recognition.ml import networks
from recognition.ml.inputs import chips_resize, image_dataset
from recognition.ml.scores import Match, top_matches


class Architecture:
    """The adapter of one kind of network, bound to one model version (or to none, for the
    class-level questions: validating a config, building a fresh network).

    The defaults are those of a network that sees pixels (SmallCnn, InceptionV3); the
    FaceNet head, which sees embeddings, overrides them.
    """

    name = ""
    label = ""
    # Shown beside the choice on the training form.
    help_text = ""
    # Whether the network looks at pixels: augmentation applies, and its feature maps,
    # filters and Grad-CAM can be drawn.
    sees_pixels = True

    def __init__(self, model_version) -> None:
        self.model_version = model_version

    # -- building and training -----------------------------------------------------------

    @classmethod
    def validate(cls, config) -> None:
        """Raise FacesiteError for a training config this architecture cannot use."""

    @classmethod
    def make_model(cls, input_shape: tuple, num_classes: int):
        """A fresh Functional keras.Model with a softmax over num_classes."""
        raise NotImplementedError

    @classmethod
    def input_shape(cls, config) -> tuple:
        return (config.input_size, config.input_size, 3)

    def build(self, config):
        """The network to train, under the config's precision policy."""
        return networks.build_with_precision(
            lambda: self.make_model(self.input_shape(config), len(self.model_version.classes)),
            networks.mixed_precision_wanted(config.mixed_precision),
        )

    def training_data(self, config, progress):
        """(train dataset, validation dataset, steps per epoch, images per step) for fit().

        Crops are streamed from storage; an epoch is about target_per_identity augmented
        images per identity.
        """
        dataset = self.model_version.dataset
        train_items = dataset_split_items(dataset, "train")
        validation_items = dataset_split_items(dataset, "validation")
        if not train_items or not validation_items:
            raise FacesiteError(f"{dataset} has no training or no validation faces.")
        per_identity = config.augmentation_config().target_per_identity
        steps = math.ceil(len(self.model_version.classes) * per_identity / config.batch_size)
        augment = augmentation_layers(config.augmentation_config(), seed=config.seed)
        train = self._image_dataset(train_items, config.batch_size, training=True, augment=augment)
        validation = self._image_dataset(validation_items, config.batch_size)
        return train, validation, steps, config.batch_size

    def _image_dataset(self, items, batch_size: int, *, training: bool = False, augment=None):
        config = self.model_version.config
        local = [(_local_path(name), label, repeats) for name, label, repeats in items]
        return image_dataset(
            local,
            size=config["input_size"],
            batch_size=batch_size,
            seed=config.get("seed", 0),
            training=training,
            augment=augment,
        )

    # -- answering -----------------------------------------------------------------------

    def keras(self):
        return model_keras(self.model_version)

    def upload_chips(self, pixels: np.ndarray, faces: list) -> list[np.ndarray] | None:
        """What the model is shown of each face of an upload: the face cut as the stored
        crops it was trained on are cut. None would mean FaceNet's chip."""
        embedder = ModelEmbedder(self.model_version)
        return [embedder.chip(pixels, face) for face in faces]

    def chip_scores(self, chips: list[np.ndarray], model=None) -> np.ndarray:
        """(N, classes) softmax scores for uint8 RGB chips of any size (upload_chips' cut)."""
        model = model or self.keras()
        if not chips:
            return np.zeros((0, len(self.model_version.classes)), dtype=np.float32)
        return networks.model_outputs(model, chips_resize(chips, self.model_version.config["input_size"]))

    def predict(self, chips: list[np.ndarray]) -> list[list[Match]]:
        """The top 5 identities for each chip with softmax scores, best first.

        The caller decides "unknown": a best score below model_version.unknown_threshold
        (calibrated on the validation split) means the face is probably nobody the model knows.
        """
        classes = self.model_version.classes
        return [top_matches(classes, row) for row in self.chip_scores(chips)]

    def crop_scores(self, names: list[str], model=None) -> np.ndarray:
        """(N, classes) scores for stored crops, streamed in batches as training reads them."""
        model = model or self.keras()
        if not names:
            return np.zeros((0, len(self.model_version.classes)), dtype=np.float32)
        images = self._image_dataset([(name, 0, 1) for name in names], networks.PREDICT_BATCH)
        return np.asarray(model.predict(images.map(lambda image, label: image), verbose=0))

    def split_scores(self, split: str, model=None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, labels) for every face of one dataset split, read as training reads them."""
        items = dataset_split_items(self.model_version.dataset, split)
        labels = np.array([label for _, label, _ in items], dtype=np.int32)
        return self.crop_scores([name for name, _, _ in items], model=model), labels

    def stranger_scores(self, names: list[str], model=None) -> np.ndarray:
        """Scores of strangers' stored crops as an upload of them would get them.

        Decoded chips through chip_scores (the upload page's path), so the rejection rate
        says what uploads of strangers meet; tf.data's reader rounds differently, and a
        face at the threshold could land on the other side.
        """
        return self.chip_scores([np.asarray(stored_image_rgb(name)) for name in names], model=model)

    def extra_metrics(self) -> dict:
        """Figures beyond the test split's that this architecture adds to its evaluation."""
        return {}

    # -- the gallery and the figures ------------------------------------------------------

    def embedder(self) -> Embedder | None:
        """The embedder the gallery searches with for this model; None: FaceNet's rows."""
        return ModelEmbedder(self.model_version)

    def image_layer_names(self) -> list[str]:
        """Conv layers worth showing as feature maps, shallow to deep; the last one suits Grad-CAM."""
        return networks.conv_layer_names(self.keras())


def _local_path(name: str) -> str:
    """A stored file's local path for the tf.data reader; FileSystemStorage (the default) has them."""
    try:
        return default_storage.path(name)
    except NotImplementedError:
        raise FacesiteError(
            "Training reads crops from local files; the configured storage has no local paths."
        ) from None
