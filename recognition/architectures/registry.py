"""Which architectures exist, by the name a ModelVersion stores."""

from facesite.errors import FacesiteError
from recognition.architectures.base import Architecture
from recognition.architectures.facenet_head import FaceNetHead
from recognition.architectures.image import InceptionV3, SmallCnn

ARCHITECTURES: dict[str, type[Architecture]] = {
    architecture.name: architecture for architecture in (InceptionV3, SmallCnn, FaceNetHead)
}


def architecture_class(name: str) -> type[Architecture]:
    """The adapter class of an architecture name, or FacesiteError naming the known ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise FacesiteError(f"Unknown architecture {name!r}; one of {', '.join(ARCHITECTURES)}.") from None


def architecture_choices() -> list[tuple[str, str]]:
    """(name, label) pairs for ModelVersion.architecture and the training form."""
    return [(name, architecture.label) for name, architecture in ARCHITECTURES.items()]
