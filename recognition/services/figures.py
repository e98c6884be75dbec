"""Figures that show why a face of a recognition result got its answer.

FaceNet's (feature maps, first-layer filters, an occlusion heat map against the matched
identity's gallery faces) always; the trained model's (feature maps, filters, Grad-CAM)
when it sees pixels. A figure is drawn once and cached beside the result, so later views
and downloads only read a file.
"""

from collections.abc import Callable

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from facesite.errors import FacesiteError
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.cache import EMBEDDER
from recognition.ml.figures import (
    feature_maps_figure,
    filters_figure,
    grad_cam,
    heatmap_figure,
    occlusion_sensitivity,
    upsample,
)
from recognition.ml.inputs import chips_resize
from recognition.models import FaceEmbedding, RecognitionResult
from recognition.services.results import result_chip, result_model_chip

# An identity's gallery faces its heat map compares with, at most.
IDENTITY_FACES_MAX = 2000


class FigureUnavailable(FacesiteError):
    """A figure that cannot be drawn for this face, e.g. a model's when it was deleted."""


def identity_vectors(identity_id: int) -> np.ndarray | None:
    """(N, 512) FaceNet gallery embeddings of an identity's approved faces, or None without any."""
    vectors = FaceEmbedding.objects.filter(
        embedder=EMBEDDER, face__identity_id=identity_id, face__status="approved"
    ).values_list("vector", flat=True)[:IDENTITY_FACES_MAX]
    stacked = [np.frombuffer(bytes(vector), dtype=np.float32) for vector in vectors]
    return np.stack(stacked) if stacked else None


def facenet_feature_maps_png(result: RecognitionResult, number: int, chip: np.ndarray) -> bytes:
    embedder = facenet_embedder()
    maps = embedder.feature_maps([chip], embedder.feature_map_layers())
    return feature_maps_figure(chip, maps, "FaceNet (gallery) feature maps, shallow to deep")


def facenet_filters_png(result: RecognitionResult, number: int, chip: np.ndarray) -> bytes:
    return filters_figure(facenet_embedder().first_layer_filters(), "FaceNet first convolution")


def facenet_heatmap_png(result: RecognitionResult, number: int, chip: np.ndarray) -> bytes:
    gallery = result.faces[number - 1]["gallery"]
    references = identity_vectors(gallery["identity_id"]) if gallery["identity_id"] else None
    heat = occlusion_sensitivity(chip, references, facenet_embedder().embed_chips)
    against = (
        f"similarity to {gallery['name']}" if references is not None else "similarity to the face itself"
    )
    method = f"Occlusion sensitivity: drop in {against} when a grey square hides each part"
    return heatmap_figure(chip, heat, "Gallery (FaceNet)", method)


def _result_model(result: RecognitionResult):
    """The trained model a result's answer came from, and its image layers, or FigureUnavailable."""
    if result.model_version is None:
        raise FigureUnavailable("No trained model answered for this photo.")
    adapter = result.model_version.adapter
    try:
        layers = adapter.image_layer_names()
        model = adapter.keras() if layers else None
    except Exception as error:
        raise FigureUnavailable(f"{result.model_version} could not be loaded ({error}).") from error
    if not layers:
        raise FigureUnavailable(
            f"{result.model_version} works on FaceNet embeddings, not on pixels: see the gallery's figures."
        )
    return model, layers


def model_input(model_version, chip: np.ndarray) -> np.ndarray:
    """A chip as the model's batch of one, resized as prediction resizes it."""
    return chips_resize([chip], model_version.config["input_size"])


def model_feature_maps_png(result: RecognitionResult, number: int, chip: np.ndarray) -> bytes:
    import keras

    model, layers = _result_model(result)
    outputs = [model.get_layer(name).output for name in layers]
    values = keras.Model(model.input, outputs)(model_input(result.model_version, chip), training=False)
    values = values if isinstance(values, list | tuple) else [values]
    maps = {name: np.asarray(value) for name, value in zip(layers, values, strict=True)}
    return feature_maps_figure(chip, maps, f"{result.model_version} feature maps, shallow to deep")


def model_filters_png(result: RecognitionResult, number: int, chip: np.ndarray) -> bytes:
    model, layers = _result_model(result)
    weights = np.asarray(model.get_layer(layers[0]).get_weights()[0])
    return filters_figure(weights, f"{result.model_version} first convolution")


def model_heatmap_png(result: RecognitionResult, number: int, chip: np.ndarray) -> bytes:
    model, layers = _result_model(result)
    answer = result.faces[number - 1]["model"]
    identity_ids = [entry["identity_id"] for entry in result.model_version.classes]
    top = answer["matches"][0]
    class_index = identity_ids.index(top["identity_id"]) if top["identity_id"] in identity_ids else 0
    heat = grad_cam(model, model_input(result.model_version, chip), layers[-1], class_index)
    method = f"Grad-CAM on {layers[-1]} for the class {top['name']}"
    return heatmap_figure(chip, upsample(heat, chip.shape[0]), str(result.model_version), method)


FIGURES: dict[str, tuple[str, Callable]] = {
    "facenet-feature-maps": ("Gallery (FaceNet): feature maps", facenet_feature_maps_png),
    "facenet-filters": ("Gallery (FaceNet): first-layer filters", facenet_filters_png),
    "facenet-heatmap": ("Gallery (FaceNet): occlusion heat map", facenet_heatmap_png),
    "model-feature-maps": ("Trained model: feature maps", model_feature_maps_png),
    "model-filters": ("Trained model: first-layer filters", model_filters_png),
    "model-heatmap": ("Trained model: Grad-CAM heat map", model_heatmap_png),
}


def figures_available(result: RecognitionResult) -> dict[str, str]:
    """The figures a result's faces have: FaceNet's always, the model's if it sees pixels."""
    model_version = result.model_version
    answered = all(face["model"] and "error" not in face["model"] for face in result.faces)
    sees_pixels = model_version is not None and answered and model_version.adapter.sees_pixels
    return {slug: label for slug, (label, _) in FIGURES.items() if sees_pixels or slug.startswith("facenet")}


def figure_png(result: RecognitionResult, number: int, figure: str) -> bytes:
    """A face's figure, drawn on first request and read from beside the result after that.

    The model's figures are drawn on the face as the model saw it (the stored-crop cut),
    FaceNet's on its own chip.
    """
    cache_name = f"{result.files_dir}/face-{number}-{figure}.png"
    if default_storage.exists(cache_name):
        with default_storage.open(cache_name, "rb") as cached:
            return cached.read()
    chip = result_model_chip(result, number) if figure.startswith("model-") else result_chip(result, number)
    png = FIGURES[figure][1](result, number, chip)
    default_storage.save(cache_name, ContentFile(png))
    return png
