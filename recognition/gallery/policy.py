"""Which embedders the gallery keeps rows of and searches with (FACESITE_GALLERY_EMBEDDER)."""

from django.conf import settings

from recognition.embedders.base import Embedder
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.cache import rows_complete
from recognition.models import ModelVersion


def gallery_searches_models() -> bool:
    """Whether FACESITE_GALLERY_EMBEDDER asks for the active model's embedder."""
    return settings.FACESITE_GALLERY_EMBEDDER == "active-model"


def gallery_model_embedder(model_version: ModelVersion | None) -> Embedder | None:
    """The embedder of model_version (the active model, or None), when the gallery is to
    search with the active model.

    None for a model whose architecture has no embedder of its own: a FaceNet head's
    layer before the softmax is the FaceNet embedding scaled, so FaceNet's rows already
    are its rows.
    """
    if not gallery_searches_models() or model_version is None:
        return None
    return model_version.adapter.embedder()


def sync_embedders() -> list[Embedder]:
    """The embedders whose rows the gallery job keeps: FaceNet's always (verification,
    the figures and the fallback search use them), then the active model's if wanted."""
    model = gallery_model_embedder(ModelVersion.objects.active().first())
    return [facenet_embedder()] + ([model] if model is not None else [])


def gallery_search_embedder(active: ModelVersion | None) -> Embedder:
    """The embedder identification searches with, given the active model (or None).

    The active image model's when FACESITE_GALLERY_EMBEDDER is "active-model" and every
    face of FaceNet's gallery has a row of it, so a gallery still being embedded never
    answers with part of its faces; FaceNet's otherwise.
    """
    model = gallery_model_embedder(active)
    if model is not None and rows_complete(model.name):
        return model
    return facenet_embedder()
