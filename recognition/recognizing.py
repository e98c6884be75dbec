"""Recognition of uploaded photos: decode, find every face, name each one or call it unknown.

Two answers per face, labelled: the gallery's (embeddings of approved faces, FaceNet's
or the active model's (see recognition.gallery), cosine similarity, open-set with a
calibrated threshold) and, when a trained model is active, that model's (softmax top 5,
unknown below its threshold). Each network is shown the face cut as it expects: FaceNet
its 160x160 chip, an image model a face cut as the stored crops it was trained on. A
result record keeps what the result page and its figures need, for
FACESITE_RESULT_TTL_HOURS.
"""

import base64
import contextlib
import io
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image

from facesite.errors import FacesiteError
from identities.images import DecodedImage, ImageRejected, image_decode
from pipeline.detection import DEFAULT_DETECTOR, DetectedFace, detector_get
from recognition.embedders import Embedder
from recognition.embedding import facenet_embedder
from recognition.matches import Match
from recognition.models import ModelVersion, RecognitionResult

logger = logging.getLogger(__name__)

# Uploads for recognition: photos, in the formats browsers and phones produce.
UPLOAD_FORMATS = {"JPEG", "PNG", "WEBP"}
# How far above its threshold a score must be to be called confident rather than
# uncertain (cosine similarity for the gallery, probability for a trained model).
UNCERTAIN_BAND = 0.1
TOP_K = 5
# Expired results an upload deletes before its own, so that an upload after a quiet
# week stays quick; `manage.py recognition_cleanup` deletes every one.
CLEANUP_PER_UPLOAD = 20


class NoFaceFound(FacesiteError):
    """A photo in which the detector found no face."""

    kind = "no_face"


@dataclass
class Timings:
    """Seconds spent in each stage of one recognition, for the latency benchmark."""

    stages: dict[str, float] = field(default_factory=dict)

    def measure(self, stage: str, function: Callable, *args, **kwargs):
        started = time.perf_counter()
        value = function(*args, **kwargs)
        self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - started
        return value


# -- decoding and detection ------------------------------------------------------------


def photo_decode(data: bytes) -> DecodedImage:
    """Decode an upload by its content (never its name or content type), or ImageRejected."""
    decoded = image_decode(data)
    if decoded.format not in UPLOAD_FORMATS:
        raise ImageRejected(
            f"This is a {decoded.format} image; upload a JPEG, PNG or WebP photo.", "unsupported"
        )
    return decoded


def photo_faces(pixels: np.ndarray) -> list[DetectedFace]:
    """Every face the default detector finds, largest first."""
    faces = detector_get(DEFAULT_DETECTOR).detect(pixels)
    return sorted(faces, key=lambda face: face.width * face.height, reverse=True)


def embedder_chips(embedder: Embedder, pixels: np.ndarray, faces: list[DetectedFace]) -> list[np.ndarray]:
    return [embedder.chip(pixels, face) for face in faces]


def model_chips(model_version: ModelVersion, pixels: np.ndarray, faces: list[DetectedFace]) -> list | None:
    """What an image model is shown: each face cut as the stored crops it was trained on
    are cut (ModelEmbedder.chip). None for a facenet_head model, which takes FaceNet's chip."""
    from recognition.model_embedding import ModelEmbedder

    if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
        return None
    return embedder_chips(ModelEmbedder(model_version), pixels, faces)


# -- answers ---------------------------------------------------------------------------


def confidence_word(score: float, threshold: float) -> str:
    """Plain words for how a score stands against the threshold below which a face is unknown."""
    if score < threshold:
        return "unknown"
    return "confident" if score >= threshold + UNCERTAIN_BAND else "uncertain"


def answer(matches: list[Match], *, threshold: float, method: str, label: str) -> dict:
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


def gallery_answers(embeddings: np.ndarray, embedder: Embedder) -> list[dict]:
    """The gallery's answer for each of embedder's embeddings; the label says which
    embedder answered and over how many faces."""
    from recognition.gallery import gallery_identify, gallery_size, gallery_threshold

    threshold = gallery_threshold(embedder.name)
    label = f"Gallery: {gallery_size(embedder.name):,} approved faces compared by {embedder.label}"
    return [
        {**answer(matches, threshold=threshold, method="gallery", label=label), "embedder": embedder.name}
        for matches in gallery_identify(embeddings, k=TOP_K, embedder=embedder.name)
    ]


def model_answers(model_version: ModelVersion, chips: list[np.ndarray]) -> list[dict]:
    from recognition.predicting import model_predict

    label = f"Trained model: {model_version}"
    # A model without a calibrated threshold never calls a face unknown.
    threshold = model_version.unknown_threshold or 0.0
    try:
        predictions = model_predict(model_version, chips)
    except Exception:
        # A broken model (say, its files were removed by hand) must not cost the user
        # the gallery's answer: say so on each face and log the cause.
        logger.exception("%s could not predict", model_version)
        unusable = {
            "method": "model",
            "label": label,
            "error": "The active model could not be used; see the log.",
        }
        return [dict(unusable) for _ in chips]
    return [answer(matches, threshold=threshold, method="model", label=label) for matches in predictions]


def active_model() -> ModelVersion | None:
    from recognition.predicting import active_model as registry_active_model

    return registry_active_model()


# -- the service -----------------------------------------------------------------------


@dataclass
class Recognition:
    """What recognizing one photo found, before anything is stored."""

    decoded: DecodedImage
    faces: list[dict]
    # FaceNet's chips, kept for the gallery's figures whichever embedder answered.
    chips: list[np.ndarray]
    model_version: ModelVersion | None
    # The chips an image model answered on (stored crops' cut), for its figures.
    model_chips: list[np.ndarray] | None = None


def photo_analyse(data: bytes, timings: Timings | None = None) -> Recognition:
    """Decode a photo and answer for each face; raises ImageRejected or NoFaceFound.

    1. Decode by content: JPEG, PNG or WebP, within the byte and pixel limits.
    2. Detect every face (MTCNN), largest first; none at all is NoFaceFound.
    3. Cut each face's FaceNet chip, and its stored-crop cut if an image model is active.
    4. Embed each face with the embedder the gallery searches with (FaceNet, or the active
       model's layer before the softmax; see gallery_search_embedder) in one call, and
       ask the gallery for its top 5.
    5. Ask the active model, if any, for its own top 5: an image model on the stored-crop
       cut it was trained on, a facenet_head model on the FaceNet chip.
    """
    from recognition.gallery import EMBEDDER, gallery_search_embedder

    timings = timings or Timings()
    decoded = timings.measure("decode", photo_decode, data)
    pixels = np.asarray(decoded.image)
    detected = timings.measure("detect", photo_faces, pixels)
    if not detected:
        raise NoFaceFound(
            "No face found in this photo. Try one where the face is larger and turned to the camera."
        )
    chips = timings.measure("chip", embedder_chips, facenet_embedder(), pixels, detected)
    model_version = timings.measure("model", active_model)
    crops = timings.measure("chip", model_chips, model_version, pixels, detected) if model_version else None
    embedder = timings.measure("gallery", gallery_search_embedder, model_version)
    # Any embedder but FaceNet is model_version's, whose cut is made already.
    searched = chips if embedder.name == EMBEDDER else crops
    embeddings = timings.measure("embed", embedder.embed_chips, searched)
    gallery = timings.measure("gallery", gallery_answers, embeddings, embedder)
    model = timings.measure("model", model_answers, model_version, crops or chips) if model_version else None
    faces = [
        {
            "number": number,
            "box": {"left": face.left, "top": face.top, "width": face.width, "height": face.height},
            "detector_confidence": face.confidence,
            # Kept so a face added to an identity from the result is cut as an import
            # would cut it, eyes levelled when FACESITE_CROP_ALIGN_EYES says so.
            "landmarks": {
                name: [round(value) for value in point] for name, point in (face.landmarks or {}).items()
            },
            "gallery": gallery[number - 1],
            "model": model[number - 1] if model else None,
        }
        for number, face in enumerate(detected, start=1)
    ]
    answered = model is not None and "error" not in model[0]
    return Recognition(decoded, faces, chips, model_version, crops if answered else None)


def photo_recognize(*, data: bytes, user, keep: bool, timings: Timings | None = None) -> RecognitionResult:
    """Recognize every face in a photo and store the result; bad input stores nothing.

    1. Delete expired results, so what the TTL promises holds without a scheduler.
    2. Analyse the photo (photo_analyse); ImageRejected and NoFaceFound leave no trace.
    3. Store the photo and each face's chip under the result's folder, then its row.
       The photo stays only as long as the result (kept: until the user deletes it).
    """
    results_cleanup(limit=CLEANUP_PER_UPLOAD)
    timings = timings or Timings()
    recognition = photo_analyse(data, timings)
    return timings.measure("store", _result_store, recognition, data, user=user, keep=keep)


def _result_store(recognition: Recognition, data: bytes, *, user, keep: bool) -> RecognitionResult:
    decoded = recognition.decoded
    now = timezone.now()
    result = RecognitionResult(
        user=user,
        created_at=now,
        expires_at=None if keep else now + timedelta(hours=settings.FACESITE_RESULT_TTL_HOURS),
        image_format=decoded.format,
        width=decoded.width,
        height=decoded.height,
        byte_size=len(data),
        faces=recognition.faces,
        model_version=recognition.model_version,
    )
    try:
        result.photo = default_storage.save(
            f"{result.files_dir}/photo.{decoded.extension}", ContentFile(data)
        )
        for number, chip in enumerate(recognition.chips, start=1):
            default_storage.save(result_chip_name(result, number), ContentFile(png_bytes(chip)))
        for number, chip in enumerate(recognition.model_chips or [], start=1):
            default_storage.save(result_chip_name(result, number, "model"), ContentFile(png_bytes(chip)))
        with transaction.atomic():
            result.save(force_insert=True)
    except BaseException:
        result_files_delete(result)
        raise
    return result


def result_chip_name(result: RecognitionResult, number: int, kind: str = "") -> str:
    """face-N.png is FaceNet's chip; face-N-model.png the cut an image model answered on."""
    suffix = f"-{kind}" if kind else ""
    return f"{result.files_dir}/face-{number}{suffix}.png"


def result_chip(result: RecognitionResult, number: int, kind: str = "") -> np.ndarray:
    with default_storage.open(result_chip_name(result, number, kind), "rb") as chip_file:
        return np.asarray(Image.open(chip_file).convert("RGB"))


def result_model_chip(result: RecognitionResult, number: int) -> np.ndarray:
    """The face as the result's image model saw it. Results stored before models were
    shown stored-crop cuts have no such file: their model saw the FaceNet chip."""
    name = result_chip_name(result, number, "model")
    return result_chip(result, number, "model" if default_storage.exists(name) else "")


def result_photo_bytes(result: RecognitionResult) -> bytes:
    with default_storage.open(result.photo, "rb") as photo_file:
        return photo_file.read()


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


# -- expiry ----------------------------------------------------------------------------


def result_files_delete(result: RecognitionResult) -> None:
    _folder_delete(result.files_dir)


def _folder_delete(folder: str) -> None:
    """Delete every file in a storage folder, and the folder itself where storage has folders."""
    try:
        _, file_names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for file_name in file_names:
        default_storage.delete(f"{folder}/{file_name}")
    # Object stores have no folders (path() raises NotImplementedError there).
    with contextlib.suppress(OSError, NotImplementedError):
        os.rmdir(default_storage.path(folder))


def result_delete(result: RecognitionResult) -> None:
    # The row goes first: a crash in between leaves unreachable files, never a result
    # whose page fails for want of them. (Deleting the row clears its pk, hence folder.)
    folder = result.files_dir
    result.delete()
    _folder_delete(folder)


def results_cleanup(now=None, limit: int | None = None) -> int:
    """Delete expired results with their files (at most limit of them); returns how many went."""
    expired = list(RecognitionResult.objects.expired(now).order_by("expires_at")[:limit])
    for result in expired:
        result_delete(result)
    return len(expired)


# -- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """Whether the largest faces of two photos are the same person."""

    similarity: float
    threshold: float
    boxes: tuple[dict, dict]
    # The two faces as compared, for the page to show (never stored).
    chips: tuple[np.ndarray, np.ndarray] = field(repr=False, compare=False)

    def chip_data_urls(self) -> list[str]:
        return ["data:image/png;base64," + base64.b64encode(png_bytes(chip)).decode() for chip in self.chips]

    @property
    def same_person(self) -> bool:
        return self.similarity >= self.threshold

    def as_dict(self) -> dict:
        return {
            "same_person": self.same_person,
            "similarity": round(self.similarity, 4),
            "threshold": round(self.threshold, 4),
            "faces": list(self.boxes),
        }


def _largest_face_chip(data: bytes, which: str) -> tuple[np.ndarray, dict]:
    """The chip and box of the largest face in a photo; errors name the photo."""
    try:
        decoded = photo_decode(data)
    except ImageRejected as rejection:
        raise ImageRejected(f"The {which} photo: {rejection}", rejection.kind) from None
    pixels = np.asarray(decoded.image)
    faces = photo_faces(pixels)
    if not faces:
        raise NoFaceFound(f"No face found in the {which} photo.")
    face = faces[0]
    box = {"left": face.left, "top": face.top, "width": face.width, "height": face.height}
    return facenet_embedder().chip(pixels, face), box


def photos_verify(*, first: bytes, second: bytes) -> Verification:
    """Compare the largest face of each photo: cosine similarity of their FaceNet embeddings
    against the verification threshold. Nothing is stored."""
    from recognition.gallery import verification_threshold

    first_chip, first_box = _largest_face_chip(first, "first")
    second_chip, second_box = _largest_face_chip(second, "second")
    embeddings = facenet_embedder().embed_chips([first_chip, second_chip])
    similarity = float(np.dot(embeddings[0], embeddings[1]))
    return Verification(
        similarity, float(verification_threshold()), (first_box, second_box), (first_chip, second_chip)
    )


# -- from a result into the collection -------------------------------------------------


class FaceAlreadyAdded(FacesiteError):
    pass


def result_face_add(*, result: RecognitionResult, number: int, identity, actor):
    """Add one face of a result to an identity, where it waits for review like any import.

    1. Crop the face from the result's photo as the importer does (margin, size, hash).
    2. Store the photo as the identity's source image (or reuse it, if it already has it).
    3. Store the face through the importer's faces_store, which applies its checks (too
       small, near-duplicate), and record who added it from which result.
    """
    from identities.models import AuditEvent, SourceImage
    from identities.storage import content_store, sha256_hex
    from pipeline.cropping import difference_hash, face_crop_stored
    from pipeline.importer import CROP_JPEG_QUALITY, FaceFound, faces_store

    data = result_photo_bytes(result)
    decoded = photo_decode(data)
    recognized = result.faces[number - 1]
    box = recognized["box"]
    # Results stored before landmarks were kept have none; the crop is then not levelled.
    landmarks = {name: tuple(point) for name, point in recognized.get("landmarks", {}).items()}
    detected = DetectedFace(box["left"], box["top"], box["width"], box["height"], landmarks=landmarks)
    crop = face_crop_stored(decoded.image, detected)
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=CROP_JPEG_QUALITY)
    found = FaceFound(detected, buffer.getvalue(), difference_hash(crop))
    detector = detector_get(DEFAULT_DETECTOR)
    sha256 = sha256_hex(data)
    with transaction.atomic():
        source_image, _ = SourceImage.objects.get_or_create(
            identity=identity,
            sha256=sha256,
            defaults=dict(
                file=content_store(data, decoded.extension),
                byte_size=len(data),
                width=decoded.width,
                height=decoded.height,
                image_format=decoded.format,
                origin=SourceImage.Origin.UPLOAD,
                origin_detail=f"Recognition result {result.pk} uploaded by {result.user}",
                status=SourceImage.Status.FACES,
            ),
        )
        if source_image.faces.filter(detector=detector.name, **_box_fields(detected)).exists():
            raise FaceAlreadyAdded(f"This face is already one of {identity.name}'s faces.")
        [face] = faces_store(source_image, [found], detector, approve=False, actor=actor)
        AuditEvent.record(
            actor=actor,
            action="face.add_from_recognition",
            target=face,
            after={"identity": identity.name, "status": face.status, "result": str(result.pk)},
        )
    identity.update_face_counts()
    return face


def _box_fields(face: DetectedFace) -> dict:
    return {"box_left": face.left, "box_top": face.top, "box_width": face.width, "box_height": face.height}


def upload_read(uploaded_file) -> bytes:
    """An uploaded file's bytes, refusing one over the byte limit before reading it."""
    from identities.images import image_byte_size_check

    image_byte_size_check(uploaded_file.size)
    return uploaded_file.read()
