"""The embedders that ship with their weights, by the name their gallery rows carry."""

from recognition.embedders.base import PretrainedEmbedder
from recognition.embedders.dlib_resnet import DlibEmbedder, FusedEmbedder, dlib_embedder, fused_embedder
from recognition.embedders.facenet import FaceNetEmbedder, facenet_embedder

PRETRAINED = {
    FaceNetEmbedder.name: facenet_embedder,
    DlibEmbedder.name: dlib_embedder,
    FusedEmbedder.name: fused_embedder,
}


def pretrained_embedder(name: str) -> PretrainedEmbedder:
    """The process's embedder of this name (a key of PRETRAINED)."""
    return PRETRAINED[name]()
