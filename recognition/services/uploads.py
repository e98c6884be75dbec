"""Recognition of uploaded photos: decode, find every face, answer for each, keep the result.

Two answers per face, labelled (recognition.services.answers): the gallery's and, when a
trained model is active, that model's. Each network is shown the face cut as it expects:
FaceNet its 160x160 chip, an image model a face cut as the stored crops it was trained
on. A result record keeps what the result page and its figures need, for
FACESITE_RESULT_TTL_HOURS.
"""

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from facesite.errors import FacesiteError
from identities.images import DecodedImage, image_byte_size_check, image_decode
from pipeline.detection import RECOGNITION_DETECTOR, DetectedFace, detector_get
from pipeline.quality import FaceQuality, face_quality
from recognition.embedders.base import Embedder
from recognition.embedders.dlib_resnet import FusedEmbedder
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.cache import EMBEDDER
from recognition.gallery.policy import gallery_search_embedder
from recognition.models import ModelVersion, RecognitionResult
from recognition.services.answers import FaceAnswer, face_answer, gallery_answers, model_answers
from recognition.services.results import png_bytes, result_chip_name, result_files_delete, results_cleanup

# Uploads for recognition: photos, in the formats browsers and phones produce.
UPLOAD_FORMATS = {"JPEG", "PNG", "WEBP"}


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


def photo_decode(data: bytes) -> DecodedImage:
    """Decode an upload by its content (never its name or content type), or ImageRejected."""
    return image_decode(data, formats=UPLOAD_FORMATS)


def photo_faces(pixels: np.ndarray) -> list[DetectedFace]:
    """Every face recognition's detector finds, largest first."""
    faces = detector_get(RECOGNITION_DETECTOR).detect(pixels)
    return sorted(faces, key=lambda face: face.width * face.height, reverse=True)


def photo_face_quality(pixels: np.ndarray, face: DetectedFace) -> FaceQuality:
    """How well one detected face of a photo can be judged (pipeline.quality)."""
    region = pixels[max(face.top, 0) : face.top + face.height, max(face.left, 0) : face.left + face.width]
    return face_quality(region, size=min(face.width, face.height), confidence=face.confidence)


def embedder_chips(embedder: Embedder, pixels: np.ndarray, faces: list[DetectedFace]) -> list[np.ndarray]:
    return [embedder.chip(pixels, face) for face in faces]


def search_inputs(embedder: Embedder, pixels: np.ndarray, detected: list[DetectedFace], chips, crops) -> list:
    """What the gallery's embedder embeds: FaceNet's chips, the active image model's
    stored-crop cuts (both cut already), or the fused embedder's own."""
    if embedder.name == EMBEDDER:
        return chips
    if embedder.name == FusedEmbedder.name:
        return embedder_chips(embedder, pixels, detected)
    return crops


@dataclass
class Recognition:
    """What recognizing one photo found, before anything is stored."""

    decoded: DecodedImage
    faces: list[FaceAnswer]
    # FaceNet's chips, kept for the gallery's figures whichever embedder answered.
    chips: list[np.ndarray]
    model_version: ModelVersion | None
    # The chips an image model answered on (stored crops' cut), for its figures.
    model_chips: list[np.ndarray] | None = None


def photo_analyse(data: bytes, timings: Timings | None = None) -> Recognition:
    """Decode a photo and answer for each face; raises ImageRejected or NoFaceFound.

    1. Decode by content: JPEG, PNG or WebP, within the byte and pixel limits.
    2. Detect every face (RECOGNITION_DETECTOR), largest first; none at all is NoFaceFound.
    3. Cut each face's FaceNet chip, and its stored-crop cut if an image model is active.
    4. Embed each face with the embedder the gallery searches with (FaceNet, or the active
       model's layer before the softmax; see gallery_search_embedder) in one call, and
       ask the gallery for its top 5.
    5. Ask the active model, if any, for its own top 5: an image model on the stored-crop
       cut it was trained on, a facenet_head model on the FaceNet chip.
    6. Judge each face's quality, and give it one verdict (answers.face_verdict).
    """
    timings = timings or Timings()
    decoded = timings.measure("decode", photo_decode, data)
    pixels = np.asarray(decoded.image)
    detected = timings.measure("detect", photo_faces, pixels)
    if not detected:
        raise NoFaceFound(
            "No face found in this photo. Try one where the face is larger and turned to the camera."
        )
    chips = timings.measure("chip", embedder_chips, facenet_embedder(), pixels, detected)
    model_version = timings.measure("model", lambda: ModelVersion.objects.active().first())
    adapter = model_version.adapter if model_version else None
    crops = timings.measure("chip", adapter.upload_chips, pixels, detected) if adapter else None
    embedder = timings.measure("gallery", gallery_search_embedder, model_version)
    searched = timings.measure("chip", search_inputs, embedder, pixels, detected, chips, crops)
    embeddings = timings.measure("embed", embedder.embed_chips, searched)
    gallery = timings.measure("gallery", gallery_answers, embeddings, embedder)
    model = timings.measure("model", model_answers, model_version, crops or chips) if model_version else None
    qualities = timings.measure("chip", lambda: [photo_face_quality(pixels, face) for face in detected])
    faces = [
        face_answer(number, face, gallery[number - 1], model[number - 1] if model else None, quality)
        for number, (face, quality) in enumerate(zip(detected, qualities, strict=True), start=1)
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


def upload_read(uploaded_file) -> bytes:
    """An uploaded file's bytes, refusing one over the byte limit before reading it."""
    image_byte_size_check(uploaded_file.size)
    return uploaded_file.read()


# What a multipart body may carry besides its photos: boundaries, part headers, the
# CSRF token and the "keep" box.
BODY_OVERHEAD = 64 * 1024


class OversizeUpload(UploadedFile):
    """An upload refused for its size: it holds no bytes, only how many arrived, so that
    upload_read refuses it with the byte limit's message like any other file too large."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(io.BytesIO(b""), name=name or "upload", size=size)


def upload_body_too_large(content_length: int | str | None, files: int) -> bool:
    """Whether a body is over what `files` photos at the byte limit and a form need (a
    malformed length is left for the multipart parser to refuse)."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return False
    return length > files * settings.FACESITE_MAX_IMAGE_BYTES + BODY_OVERHEAD


class PhotoUploadLimit(FileUploadHandler):
    """The first upload handler of a photo form: nothing past FACESITE_MAX_IMAGE_BYTES of
    any file reaches the handlers that keep it in memory or spool it to disk.

    1. A body larger than its photos may be (upload_body_too_large) is not read at all:
       each photo field gets an OversizeUpload.
    2. Otherwise each file's chunks pass on until the file exceeds the limit; then the
       next handlers' partial file is closed (a temporary file is deleted) and the rest
       of the file is counted and dropped, and the field gets an OversizeUpload.
    """

    def __init__(self, request, fields: tuple[str, ...]) -> None:
        super().__init__(request)
        self.fields = fields
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if not upload_body_too_large(content_length, len(self.fields)):
            return None
        files = MultiValueDict({field: [OversizeUpload(field, content_length)] for field in self.fields})
        return QueryDict(encoding=encoding), files

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received <= settings.FACESITE_MAX_IMAGE_BYTES:
            return raw_data
        for handler in self.request.upload_handlers:
            if handler is not self and getattr(handler, "file", None) is not None:
                handler.file.close()
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= settings.FACESITE_MAX_IMAGE_BYTES:
            return None
        return OversizeUpload(self.file_name, self.received)
