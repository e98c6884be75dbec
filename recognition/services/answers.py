"""What recognition answers for one face: the gallery's and the active model's, each labelled.

The gallery's answer (embeddings of approved faces, FaceNet's or the active model's; see
recognition.gallery) is open-set cosine similarity; a trained model's is its softmax top
5. Each is unknown below its threshold (recognition.gallery.thresholds).
"""

import logging
from typing import Annotated, Literal, NotRequired, TypedDict

import numpy as np

from pipeline.detection import DetectedFace
from recognition.embedders.base import Embedder
from recognition.gallery.cache import gallery_size
from recognition.gallery.search import gallery_identify
from recognition.gallery.thresholds import confidence_word, gallery_threshold
from recognition.ml.scores import TOP_K, Match
from recognition.models import ModelVersion

logger = logging.getLogger(__name__)


class MatchAnswer(TypedDict):
    identity_id: int | None
    name: str
    score: Annotated[float, "Cosine similarity for the gallery, probability for a trained model"]


class Answer(TypedDict):
    """One source's answer for one face: the gallery (cosine similarity) or the trained
    model (probability)."""

    method: Literal["gallery", "model"]
    label: Annotated[str, "Who answered (the gallery: over how many faces)"]
    threshold: Annotated[float, "Below this score the face is unknown"]
    unknown: bool
    confidence: Literal["confident", "uncertain", "unknown"]
    name: str | None
    identity_id: int | None
    matches: Annotated[list[MatchAnswer], "Best first", {"maxItems": TOP_K}]
    embedder: NotRequired[
        Annotated[
            str,
            "The gallery's only: the embedding it searched, facenet or model-<id> "
            "(FACESITE_GALLERY_EMBEDDER)",
        ]
    ]


class Box(TypedDict):
    """A face's box in the photo's pixels."""

    left: int
    top: int
    width: int
    height: int


class AnswerUnavailable(TypedDict):
    """In place of the model's answer when the active model could not be used."""

    method: Literal["model"]
    label: str
    error: str


class FaceAnswer(TypedDict):
    """What recognition found of one face, as stored with a result and sent by the API."""

    number: Annotated[int, "1 for the largest face, then smaller ones"]
    box: Box
    # Results stored before faces named their detector have none.
    detector: NotRequired[Annotated[str, "The face detector that found the face, e.g. mtcnn"]]
    detector_confidence: float | None
    landmarks: Annotated[dict[str, list[int]], "Named points in photo pixels, e.g. left_eye: [x, y]"]
    gallery: Answer
    model: Answer | AnswerUnavailable | None


def face_answer(
    number: int, face: DetectedFace, gallery: Answer, model: Answer | AnswerUnavailable | None
) -> FaceAnswer:
    return {
        "number": number,
        "box": box_answer(face),
        "detector": face.detector,
        "detector_confidence": face.confidence,
        # Kept so a face added to an identity from the result is cut as an import would
        # cut it, eyes levelled when FACESITE_CROP_ALIGN_EYES says so.
        "landmarks": {
            name: [round(value) for value in point] for name, point in (face.landmarks or {}).items()
        },
        "gallery": gallery,
        "model": model,
    }


def box_answer(face: DetectedFace) -> Box:
    return {"left": face.left, "top": face.top, "width": face.width, "height": face.height}


def answer(matches: list[Match], *, threshold: float, method: str, label: str) -> Answer:
    """One labelled answer for one face: the top matches, unknown or not, and how sure."""
    best = matches[0].score if matches else float("-inf")
    word = confidence_word(best, threshold)
    return {
        "method": method,
        "label": label,
        "threshold": round(float(threshold), 4),
        "unknown": word == "unknown",
        "confidence": word,
        "name": matches[0].name if word != "unknown" else None,
        "identity_id": matches[0].identity_id if word != "unknown" else None,
        "matches": [
            {"identity_id": match.identity_id, "name": match.name, "score": round(float(match.score), 4)}
            for match in matches[:TOP_K]
        ],
    }


def gallery_answers(embeddings: np.ndarray, embedder: Embedder) -> list[Answer]:
    """The gallery's answer for each of embedder's embeddings; the label says which
    embedder answered and over how many faces."""
    threshold = gallery_threshold(embedder.name)
    label = f"Gallery: {gallery_size(embedder.name):,} approved faces compared by {embedder.label}"
    return [
        {**answer(matches, threshold=threshold, method="gallery", label=label), "embedder": embedder.name}
        for matches in gallery_identify(embeddings, k=TOP_K, embedder=embedder.name)
    ]


def model_answers(model_version: ModelVersion, chips: list[np.ndarray]) -> list[Answer | AnswerUnavailable]:
    label = f"Trained model: {model_version}"
    # A model without a calibrated threshold never calls a face unknown.
    threshold = model_version.unknown_threshold or 0.0
    try:
        predictions = model_version.adapter.predict(chips)
    except Exception:
        # A broken model (say, its files were removed by hand) must not cost the user
        # the gallery's answer: say so on each face and log the cause.
        logger.exception("%s could not predict", model_version)
        unusable = AnswerUnavailable(
            method="model", label=label, error="The active model could not be used; see the log."
        )
        return [AnswerUnavailable(**unusable) for _ in chips]
    return [answer(matches, threshold=threshold, method="model", label=label) for matches in predictions]
