"""Recognition results as stored: their photo, chips and figures under the result's folder,
their expiry, and adding one of their faces to an identity."""

import contextlib
import io
import os

import numpy as np
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from facesite.errors import FacesiteError
from identities.images import image_decode
from identities.models import AuditEvent, SourceImage
from identities.services import identity_create
from identities.storage import content_store, sha256_hex
from pipeline.cropping import difference_hash, face_crop_stored
from pipeline.detection import DetectedFace, detector_get
from pipeline.importer import CROP_JPEG_QUALITY, FaceFound, faces_store
from recognition.models import RecognitionResult


class ResultNotFound(FacesiteError):
    """No result (or face of it) this user may see: never theirs, expired, or no such number."""

    kind = "not_found"


def result_visible(user, pk, number: int | None = None) -> RecognitionResult:
    """The result with this id if the user may see it (their own; an admin any) and it has
    not expired, with a face `number` when one is asked for; else ResultNotFound."""
    result = RecognitionResult.objects.visible_to(user).live().filter(pk=pk).first()
    if result is None:
        raise ResultNotFound("No such result; results expire.")
    if number is not None and not 1 <= number <= len(result.faces):
        raise ResultNotFound("No such face in this result.")
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


# zlib's fastest level: a 160x160 chip encodes in about a third of the default's time
# (3.6 against 9.3 ms, on every upload and verification) for a file 2% larger.
PNG_COMPRESS_LEVEL = 1


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


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


class FaceAlreadyAdded(FacesiteError):
    pass


def result_face_add_to_new_identity(*, result: RecognitionResult, number: int, name: str, actor):
    """Create the identity `name` (audited) and add the face to it, in one transaction:
    if the face cannot be added, no empty identity is left behind. A name that is
    taken raises IdentityNameTaken, since the admin asked for a new person."""
    with transaction.atomic():
        identity = identity_create(name=name, actor=actor)
        return result_face_add(result=result, number=number, identity=identity, actor=actor)


def result_face_add(*, result: RecognitionResult, number: int, identity, actor):
    """Add one face of a result to an identity, where it waits for review like any import.

    1. Crop the face from the result's photo as the importer does (margin, size, hash).
    2. Store the photo as the identity's source image (or reuse it, if it already has it).
    3. Store the face through the importer's faces_store, which applies its checks (too
       small, near-duplicate), and record who added it from which result.
    """
    data = result_photo_bytes(result)
    # Its format was checked when it was uploaded.
    decoded = image_decode(data)
    recognized = result.faces[number - 1]
    box = recognized["box"]
    # Results stored before landmarks were kept have none; the crop is then not levelled.
    landmarks = {name: tuple(point) for name, point in recognized.get("landmarks", {}).items()}
    # Results stored before the detector was kept were all found by MTCNN.
    detector = detector_get(recognized.get("detector", "mtcnn"))
    detected = DetectedFace(
        box["left"], box["top"], box["width"], box["height"], landmarks=landmarks, detector=detector.name
    )
    crop = face_crop_stored(decoded.image, detected)
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=CROP_JPEG_QUALITY)
    found = FaceFound(detected, buffer.getvalue(), difference_hash(crop))
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
