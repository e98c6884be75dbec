"""Networks that see pixels: trained from the stored crops, streamed and augmented."""

from facesite.errors import FacesiteError
from recognition.architectures.base import Architecture
from recognition.ml import networks


class SmallCnn(Architecture):
    name = "small_cnn"
    label = "Small CNN"
    help_text = "trains on a CPU in minutes"

    @classmethod
    def make_model(cls, input_shape: tuple, num_classes: int):
        return networks.classifier(networks.small_cnn_features, input_shape, num_classes, cls.name)


class InceptionV3(Architecture):
    name = "inception_v3"
    label = "Inception V3"
    help_text = "is the original network (GPU work)"

    @classmethod
    def validate(cls, config) -> None:
        if config.input_size < networks.INCEPTION_MIN_SIZE:
            raise FacesiteError(
                f"inception_v3 needs an input size of at least {networks.INCEPTION_MIN_SIZE} pixels."
            )

    @classmethod
    def make_model(cls, input_shape: tuple, num_classes: int):
        return networks.classifier(networks.inception_v3_features, input_shape, num_classes, cls.name)
