"""What recognition answers for one face: one verdict, and the gallery's and the active
model's answers below it, each labelled.

The gallery's answer (embeddings of approved faces: FaceNet fused with dlib, FaceNet's
alone or the active model's; see recognition.gallery.policy) is open-set cosine
similarity; a trained model's is its softmax top 5. Each is unknown below its threshold
(recognition.gallery.thresholds). face_verdict() combines them by VERDICT_RULE.
"""

import logging
from typing import Annotated, Literal, NotRequired, TypedDict

import numpy as np

from pipeline.detection import DetectedFace
from pipeline.quality import FaceQuality
from recognition.embedders.base import Embedder
from recognition.gallery.cache import gallery_size
from recognition.gallery.search import gallery_identify
from recognition.gallery.thresholds import confidence_word, gallery_threshold_rule
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
    confident_threshold: NotRequired[Annotated[float, "At or above this score the answer is confident"]]
    rule: NotRequired[Annotated[str, "The gallery's only: what set its threshold, in plain words"]]
    matched_face_id: NotRequired[
        Annotated[int | None, "The gallery's only: the enrolled face that scored the best match"]
    ]
    margin: NotRequired[
        Annotated[float | None, "The gallery's only: the best score less the second identity's"]
    ]
    embedder: NotRequired[
        Annotated[
            str,
            "The gallery's only: the embedding it searched, facenet-dlib, facenet or model-<id> "
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


class Quality(TypedDict):
    """What decides whether a face can be judged at all (pipeline.quality)."""

    size: Annotated[int, "The shorter side of the face's box, photo pixels"]
    sharpness: Annotated[float, "Variance of the Laplacian of the face at 64 pixels; low is blurred"]
    problem: Annotated[str, "Why the face is too poor to judge (too small, too blurred), or empty"]


class FaceAnswer(TypedDict):
    """What recognition found of one face, as stored with a result and sent by the API."""

    number: Annotated[int, "1 for the largest face, then smaller ones"]
    box: Box
    # Results stored before faces named their detector have none.
    detector: NotRequired[Annotated[str, "The face detector that found the face, e.g. mtcnn"]]
    detector_confidence: float | None
    landmarks: Annotated[dict[str, list[int]], "Named points in photo pixels, e.g. left_eye: [x, y]"]
    # Results stored before faces had one verdict have none of these four.
    verdict: NotRequired[
        Annotated[
            Literal["named", "uncertain", "unknown", "too poor"],
            "The one answer for the face, combining the gallery and the model by the rule in `reason`",
        ]
    ]
    name: NotRequired[Annotated[str | None, "Who the face is, when named or uncertain with one candidate"]]
    identity_id: NotRequired[int | None]
    reason: NotRequired[Annotated[str, "Why the verdict, in plain words"]]
    quality: NotRequired[Quality]
    gallery: Answer
    model: Answer | AnswerUnavailable | None


VERDICT_RULE = (
    "A face too small or blurred to judge is not named. Otherwise the gallery decides, since "
    "only it can say that a face is no one enrolled; an active model that names someone else "
    "makes the answer uncertain, and one that agrees makes an uncertain gallery answer confident."
)


def face_verdict(quality: FaceQuality, gallery: Answer, model: Answer | AnswerUnavailable | None) -> dict:
    """The one answer for a face (VERDICT_RULE): verdict, name, identity_id and reason.

    1. Too small or blurred (quality.problem): "too poor", whatever the scores.
    2. The gallery calls it unknown: "unknown"; a model's name is shown below, never on
       the face, since a closed-set model names everyone.
    3. The gallery names X and the model names Y (not unknown, not X): "uncertain", no name.
    4. The gallery names X: "named" if it is confident or the model also names X,
       "uncertain" with the name otherwise.
    """
    if quality.problem:
        return _verdict("too poor", None, f"The face is {quality.problem} to name (box {quality.size} px).")
    best = gallery["matches"][0]["score"] if gallery["matches"] else None
    if gallery["unknown"]:
        if best is None:
            return _verdict("unknown", None, "No approved face to compare with yet.")
        return _verdict(
            "unknown",
            None,
            f"The closest enrolled person scores {best:.2f}, below the threshold {gallery['threshold']:.2f}.",
        )
    name, identity_id = gallery["name"], gallery["identity_id"]
    model_answer = model if model is not None and "error" not in model and not model["unknown"] else None
    if model_answer is not None and model_answer["identity_id"] != identity_id:
        return _verdict(
            "uncertain",
            None,
            f"The gallery says {name} ({best:.2f}), the active model says {model_answer['name']}.",
        )
    agreed = model_answer is not None
    if gallery["confidence"] == "confident" or agreed:
        why = "the active model agrees" if agreed else f"confident from {gallery['confident_threshold']:.2f}"
        return _verdict(
            "named",
            (name, identity_id),
            f"Scores {best:.2f} against the threshold {gallery['threshold']:.2f}; {why}.",
        )
    return _verdict(
        "uncertain",
        (name, identity_id),
        f"Scores {best:.2f}, just above the threshold {gallery['threshold']:.2f} "
        f"(confident from {gallery['confident_threshold']:.2f}).",
    )


def _verdict(verdict: str, named: tuple[str, int | None] | None, reason: str) -> dict:
    name, identity_id = named or (None, None)
    return {"verdict": verdict, "name": name, "identity_id": identity_id, "reason": reason}


def face_answer(
    number: int,
    face: DetectedFace,
    gallery: Answer,
    model: Answer | AnswerUnavailable | None,
    quality: FaceQuality,
) -> FaceAnswer:
    return {
        **face_verdict(quality, gallery, model),
        "quality": {
            "size": quality.size,
            "sharpness": round(quality.sharpness, 1),
            "problem": quality.problem,
        },
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


def answer(
    matches: list[Match], *, threshold: float, method: str, label: str, confident: float | None = None
) -> Answer:
    """One labelled answer for one face: the top matches, unknown or not, and how sure."""
    best = matches[0].score if matches else float("-inf")
    word = confidence_word(best, threshold, confident)
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
    """The gallery's answer for each of embedder's embeddings, with its evidence: the rule
    that set the threshold, the enrolled face that matched best and the margin to the
    second identity; the label says which embedder answered and over how many faces."""
    rule = gallery_threshold_rule(embedder.name)
    label = f"Gallery: {gallery_size(embedder.name):,} approved faces compared by {embedder.label}"
    answers = []
    for matches in gallery_identify(embeddings, k=TOP_K, embedder=embedder.name):
        found = answer(matches, threshold=rule.named, confident=rule.confident, method="gallery", label=label)
        margin = matches[0].score - matches[1].score if len(matches) > 1 else None
        answers.append(
            {
                **found,
                "confident_threshold": round(rule.confident, 4),
                "rule": rule.rule,
                "matched_face_id": matches[0].face_id if matches else None,
                "margin": round(float(margin), 4) if margin is not None else None,
                "embedder": embedder.name,
            }
        )
    return answers


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
