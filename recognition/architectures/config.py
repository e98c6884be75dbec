"""The training config: how a model is trained, saved with it."""

import contextlib
from dataclasses import asdict, dataclass, field, fields

from facesite.errors import FacesiteError
from pipeline.augmentation import AugmentationConfig
from recognition.architectures.registry import architecture_class


@dataclass
class TrainingConfig:
    """How a model is trained; saved with it as config.json and on its ModelVersion row."""

    # small_cnn trains on a CPU in minutes; inception_v3 is the original project's network
    # (GPU work: about 20 images/s on two CPU cores); facenet_head trains a softmax layer
    # on frozen pretrained FaceNet embeddings in seconds.
    architecture: str = "small_cnn"
    # Side of the square network input in pixels: the original's 96 (InceptionV3 needs >= 75).
    input_size: int = 96
    # An upper bound: the target accuracy or early stopping usually ends training sooner
    # (the original stopped after 52 epochs).
    epochs: int = 60
    # Images per gradient step.
    batch_size: int = 32
    # Adam's step size; Keras's default.
    learning_rate: float = 0.001
    # Stop as soon as validation accuracy reaches this: the original's 0.97.
    target_accuracy: float = 0.97
    # Epochs without a lower validation loss before training stops on a plateau.
    patience: int = 5
    # Seeds weight initialisation, shuffling and augmentation, so a run can be repeated.
    seed: int = 0
    # Random changes to training images (pipeline.augmentation.AugmentationConfig); its
    # target_per_identity sets the images per identity in one epoch. Not used by facenet_head.
    augmentation: dict = field(default_factory=lambda: AugmentationConfig().to_json())
    # "auto" uses mixed_float16 only when a GPU is present; "off" never; "on" always.
    mixed_precision: str = "auto"

    def __post_init__(self) -> None:
        # Saved configs list every augmentation setting, defaults included, so a later
        # change of a default does not change what an old model says it was trained with.
        with contextlib.suppress(TypeError, ValueError):
            self.augmentation = self.augmentation_config().to_json()

    def validate(self) -> None:
        """Raise FacesiteError for a config training cannot use."""
        architecture_class(self.architecture).validate(self)
        if not 16 <= self.input_size <= 512:
            raise FacesiteError("The input size must be between 16 and 512 pixels.")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise FacesiteError("Epochs, batch size and patience must be at least 1.")
        if not 0 < self.learning_rate < 1:
            raise FacesiteError("The learning rate must be between 0 and 1.")
        if not 0 <= self.target_accuracy <= 1:
            raise FacesiteError("The target accuracy must be between 0 and 1.")
        if self.mixed_precision not in ("auto", "on", "off"):
            raise FacesiteError("mixed_precision is one of auto, on, off.")
        try:
            self.augmentation_config().validate()
        except (TypeError, ValueError) as error:
            raise FacesiteError(f"Augmentation: {error}") from None

    def augmentation_config(self) -> AugmentationConfig:
        return AugmentationConfig.from_json(self.augmentation)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, values: dict) -> "TrainingConfig":
        """A config from saved values; names it does not know (from other versions) are ignored."""
        known = {config_field.name for config_field in fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})
