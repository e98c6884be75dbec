"""Which embedders the gallery keeps rows of and searches with (FACESITE_GALLERY_EMBEDDER)."""

from django.conf import settings

from recognition.embedders.base import Embedder
from recognition.embedders.dlib_resnet import fused_embedder
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.cache import rows_complete
from recognition.models import ModelVersion


def gallery_searches_models() -> bool:
    """Whether FACESITE_GALLERY_EMBEDDER asks for the active model's embedder."""
    return settings.FACESITE_GALLERY_EMBEDDER == "active-model"


def gallery_searches_fused() -> bool:
    """Whether FACESITE_GALLERY_EMBEDDER asks for FaceNet fused with dlib."""
    return settings.FACESITE_GALLERY_EMBEDDER == "facenet-dlib"


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


def chosen_embedder(active: ModelVersion | None) -> Embedder | None:
    """The embedder FACESITE_GALLERY_EMBEDDER asks the gallery to search with where it is
    not FaceNet itself: FaceNet fused with dlib, or the active model's; None for FaceNet."""
    if gallery_searches_fused():
        return fused_embedder()
    return gallery_model_embedder(active)


def sync_embedders() -> list[Embedder]:
    """The embedders whose rows the gallery job keeps: FaceNet's always (verification,
    review assistance, lookalikes, the figures and the fallback search use them), then
    the chosen one's (chosen_embedder) if it is another."""
    chosen = chosen_embedder(ModelVersion.objects.active().first())
    return [facenet_embedder()] + ([chosen] if chosen is not None else [])


def gallery_search_embedder(active: ModelVersion | None) -> Embedder:
    """The embedder identification searches with, given the active model (or None).

    The chosen one (chosen_embedder) once every face of FaceNet's gallery has a row of
    it, so a gallery still being embedded never answers with part of its faces;
    FaceNet's otherwise.
    """
    chosen = chosen_embedder(active)
    if chosen is not None and rows_complete(chosen.name):
        return chosen
    return facenet_embedder()
