"""Import photos from a folder or zip, one sub-folder per identity, as faces to review.

Every file is imported in its own transaction and every stored file is named by its
content, so an import that was killed halfway can simply be run again: files it had
finished count as duplicates and nothing is stored twice.
"""

import hashlib
import io
import logging
import os
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from facesite.errors import FacesiteError
from identities.images import DecodedImage, ImageRejected, image_byte_size_check, image_decode
from identities.models import AuditEvent, Face, Identity, SourceImage
from identities.services import identity_get_or_create, identity_name_normalize
from identities.signals import faces_changed_on_commit
from identities.storage import content_store, sha256_hex
from pipeline.cropping import difference_hash, face_crop_stored, hamming_distances
from pipeline.detection import DetectedFace, FaceDetector, detector_get

logger = logging.getLogger(__name__)

# What reading a file can fail with: a vanished or unreadable file, or a damaged,
# encrypted or oddly compressed zip entry.
READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError)
UNREADABLE = "The file could not be read."
CROP_JPEG_QUALITY = 95


@dataclass
class ImportSummary:
    """What one import did, for the command line and the job log."""

    identities: int = 0
    identities_created: int = 0
    images: int = 0
    faces: int = 0
    duplicates: int = 0
    skipped: int = 0
    # Faces stored rejected as near-duplicates of a face from another photo.
    near_duplicates: int = 0
    # Files that could not be used, counted by the reason recorded with them.
    failures: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        text = (
            f"{self.identities} identities ({self.identities_created} new), {self.images} new images, "
            f"{self.faces} faces, {self.duplicates} duplicates, {self.skipped} skipped, "
            f"{sum(self.failures.values())} failed."
        )
        if self.near_duplicates:
            text += f" {self.near_duplicates} of the faces were near-duplicates of stored ones."
        return text


@dataclass(frozen=True)
class ImportFile:
    """One photo to import: a file on disk, an entry in a zip, or a download."""

    identity_folder: str
    origin_detail: str
    byte_size: int
    open: Callable[[], BinaryIO]
    origin: str = SourceImage.Origin.FILE
    search_rank: int | None = None

    @classmethod
    def from_bytes(
        cls, data: bytes, *, identity: Identity, origin: str, origin_detail: str, search_rank: int | None
    ) -> "ImportFile":
        return cls(
            identity_folder=identity.name,
            origin_detail=origin_detail,
            byte_size=len(data),
            open=lambda: io.BytesIO(data),
            origin=origin,
            search_rank=search_rank,
        )

    def read(self) -> bytes:
        with self.open() as handle:
            return handle.read()

    def sha256_streamed(self) -> str:
        """The SHA-256 of a file too large to hold in memory."""
        digest = hashlib.sha256()
        with self.open() as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()


@dataclass(frozen=True)
class FaceFound:
    """A detected face with its crop, ready to be stored."""

    detected: DetectedFace
    crop_jpeg: bytes
    phash: int


def faces_import(
    *,
    path: Path,
    detector_name: str,
    approve: bool,
    actor=None,
    on_progress: Callable[[int, int], None] | None = None,
    upload_name: str = "",
) -> ImportSummary:
    """Import every photo under PATH (a folder or a .zip) for the identity its folder names.

    `upload_name` is the name a zip was uploaded under: its entries are then recorded and
    reported as `people.zip: Jane_Doe/1.jpg`, not by the server's path to the stored upload.

    1. List the files; those at the top level, hidden ones and `__MACOSX` are skipped.
    2. For each file, find or create the identity named by its parent folder; the files
       of a folder whose name is no usable name (too long, a control character) are
       counted as failed under the reason, and the import goes on.
    3. Import the file (see photo_import); on_progress(done, total) follows each one.
    4. Recount the faces of every identity touched.
    """
    detector = detector_get(detector_name)
    summary = ImportSummary()
    folders = _FolderIdentities(summary, actor)
    with _import_files_listed(Path(path), upload_name) as (files, skipped):
        summary.skipped = skipped
        for done, file in enumerate(files, start=1):
            identity = folders.get(file.identity_folder)
            if identity is not None:
                photo_import(file, identity, detector, approve=approve, actor=actor, summary=summary)
            if on_progress:
                on_progress(done, len(files))
    for identity in folders.found.values():
        identity.update_face_counts()
    return summary


@contextmanager
def _import_files_listed(path: Path, upload_name: str = "") -> Iterator[tuple[list[ImportFile], int]]:
    """The files to import under a folder or in a zip, and how many were skipped."""
    if path.is_dir():
        yield _folder_files(path)
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            yield _archive_files(archive, f"{upload_name}: " if upload_name else f"{path}:")
    elif not path.exists():
        raise FacesiteError(f"{upload_name or path} does not exist.")
    else:
        raise FacesiteError(f"{upload_name or path} is neither a folder nor a zip archive.")


def _folder_files(root: Path) -> tuple[list[ImportFile], int]:
    files, skipped = [], 0
    for file_path in sorted(_paths_under(root)):
        if not file_path.is_file():
            continue
        identity_folder = _identity_folder(file_path.relative_to(root).parts)
        if identity_folder is None:
            skipped += 1
            continue
        files.append(
            ImportFile(
                identity_folder=identity_folder,
                origin_detail=str(file_path),
                byte_size=file_path.stat().st_size,
                open=lambda file_path=file_path: file_path.open("rb"),
            )
        )
    return files, skipped


def _paths_under(root: Path) -> Iterator[Path]:
    """Every file under root, following linked folders (once each, so a loop ends)."""
    folders_seen = set()
    for folder, subfolders, file_names in os.walk(root, followlinks=True):
        if os.path.realpath(folder) in folders_seen:
            subfolders.clear()
            continue
        folders_seen.add(os.path.realpath(folder))
        yield from (Path(folder) / name for name in file_names)


def _archive_files(archive: zipfile.ZipFile, entry_prefix: str) -> tuple[list[ImportFile], int]:
    """The zip's photos, each recorded as entry_prefix + its name in the zip."""
    entries = sorted((entry for entry in archive.infolist() if not entry.is_dir()), key=lambda e: e.filename)
    entry_parts = [PurePosixPath(entry.filename).parts for entry in entries]
    wrapper = _wrapping_folder(entry_parts)
    files, skipped = [], 0
    for entry, parts in zip(entries, entry_parts, strict=True):
        if wrapper and parts[0] == wrapper:
            parts = parts[1:]
        identity_folder = _identity_folder(parts)
        if identity_folder is None:
            skipped += 1
            continue
        files.append(
            ImportFile(
                identity_folder=identity_folder,
                origin_detail=f"{entry_prefix}{entry.filename}",
                byte_size=entry.file_size,
                open=lambda entry=entry: archive.open(entry),
            )
        )
    return files, skipped


def _wrapping_folder(entry_parts: list[tuple[str, ...]]) -> str | None:
    """The one top folder a zip wraps everything in, as zipping a folder does, if any.

    Without this, zipping `people/` would import every photo under `people/alice/`
    correctly but take a README beside `alice/` for a photo of someone named people.
    """
    visible = [parts for parts in entry_parts if not _is_hidden(parts)]
    top_folders = {parts[0] for parts in visible}
    wraps_everything = len(top_folders) == 1 and all(len(parts) >= 2 for parts in visible)
    if wraps_everything and any(len(parts) >= 3 for parts in visible):
        return top_folders.pop()
    return None


def _identity_folder(parts: tuple[str, ...]) -> str | None:
    """The folder naming the identity of a file, or None for a file to skip."""
    if len(parts) < 2 or _is_hidden(parts) or not identity_name_normalize(parts[-2]):
        return None
    return parts[-2]


def _is_hidden(parts: tuple[str, ...]) -> bool:
    # Finder and Explorer leave .DS_Store files and __MACOSX folders in folders and zips.
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


class _FolderIdentities:
    """The identity each folder names, found or created once per import.

    A folder whose name cannot be an identity's (too long, a control character) gives
    None, and its reason is counted as a failure for each of its files.
    """

    def __init__(self, summary: ImportSummary, actor) -> None:
        self.summary = summary
        self.actor = actor
        self.found: dict[str, Identity] = {}
        self.refused: dict[str, str] = {}

    def get(self, folder: str) -> Identity | None:
        key = identity_name_normalize(folder).casefold()
        if key not in self.found and key not in self.refused:
            try:
                self.found[key], created = identity_get_or_create(name=folder, actor=self.actor)
            except FacesiteError as error:
                logger.warning("Skipped the folder %r: %s", folder[:200], error)
                self.refused[key] = f"Folder refused: {error}"
            else:
                self.summary.identities += 1
                self.summary.identities_created += created
        if key in self.refused:
            self.summary.failures[self.refused[key]] += 1
        return self.found.get(key)


def photo_import(
    file: ImportFile,
    identity: Identity,
    detector: FaceDetector,
    *,
    approve: bool,
    actor,
    summary: ImportSummary,
) -> None:
    """Import one file as a source image with its faces, or record why it is unusable.

    1. Refuse a file over FACESITE_MAX_IMAGE_BYTES before reading it into memory.
    2. Read and hash it; a file this identity already has is a duplicate.
    3. Decode it; a file that is not a usable image is recorded INVALID with the reason.
    4. Detect and crop its faces, outside any transaction (it is the slow part).
    5. Store the photo, its crops and their rows in one transaction.
    """
    data = _file_read(file, identity, summary)
    if data is None:
        return
    sha256 = sha256_hex(data)
    if SourceImage.objects.filter(identity=identity, sha256=sha256).exists():
        summary.duplicates += 1
        return
    try:
        decoded = image_decode(data)
    except ImageRejected as rejection:
        _invalid_record(file, identity, sha256, rejection, byte_size=len(data), summary=summary)
        return
    faces_found = faces_find(decoded.image, detector)
    try:
        with transaction.atomic():
            source_image = _source_image_store(file, identity, data, sha256, decoded, detector, faces_found)
            faces = faces_store(source_image, faces_found, detector, approve=approve, actor=actor)
    except IntegrityError:
        # Another import stored the same photo for this identity since the check above.
        summary.duplicates += 1
        return
    summary.images += 1
    summary.faces += len(faces)
    summary.near_duplicates += sum(face.reason == Face.Reason.DUPLICATE for face in faces)


def _file_read(file: ImportFile, identity: Identity, summary: ImportSummary) -> bytes | None:
    """The file's bytes, or None once a file too large or unreadable is accounted for."""
    try:
        image_byte_size_check(file.byte_size)
        return file.read()
    except ImageRejected as rejection:
        too_large = rejection
    except READ_ERRORS as error:
        return _unreadable(file, error, summary)
    # A file too large is still hashed for its record; a damaged zip entry (a bad CRC)
    # fails here, as it would have on reading.
    try:
        sha256 = file.sha256_streamed()
    except READ_ERRORS as error:
        return _unreadable(file, error, summary)
    _invalid_record(file, identity, sha256, too_large, summary=summary)
    return None


def _unreadable(file: ImportFile, error: Exception, summary: ImportSummary) -> None:
    logger.warning("Could not read %s: %s", file.origin_detail, error)
    summary.failures[UNREADABLE] += 1


def _invalid_record(
    file: ImportFile,
    identity: Identity,
    sha256: str,
    rejection: ImageRejected,
    *,
    summary: ImportSummary,
    byte_size: int | None = None,
) -> None:
    """Keep a row for an unusable file, so the reason can be seen and nothing vanishes."""
    _, created = SourceImage.objects.get_or_create(
        identity=identity,
        sha256=sha256,
        defaults=dict(
            byte_size=file.byte_size if byte_size is None else byte_size,
            origin=file.origin,
            origin_detail=file.origin_detail,
            search_rank=file.search_rank,
            status=SourceImage.Status.INVALID,
            error=str(rejection),
        ),
    )
    if created:
        summary.failures[rejection.kind_label] += 1
    else:
        summary.duplicates += 1


def faces_find(image: Image.Image, detector: FaceDetector) -> list[FaceFound]:
    """Detect the faces in a photo and crop each one, with its difference hash."""
    faces_found = []
    for detected in detector.detect(np.asarray(image)):
        crop = face_crop_stored(image, detected, detector.locates_faces)
        buffer = io.BytesIO()
        crop.save(buffer, "JPEG", quality=CROP_JPEG_QUALITY)
        faces_found.append(FaceFound(detected, buffer.getvalue(), difference_hash(crop)))
    return faces_found


def _source_image_store(
    file: ImportFile,
    identity: Identity,
    data: bytes,
    sha256: str,
    decoded: DecodedImage,
    detector: FaceDetector,
    faces_found: list[FaceFound],
) -> SourceImage:
    return SourceImage.objects.create(
        identity=identity,
        sha256=sha256,
        file=content_store(data, decoded.extension),
        byte_size=len(data),
        width=decoded.width,
        height=decoded.height,
        image_format=decoded.format,
        origin=file.origin,
        origin_detail=file.origin_detail,
        search_rank=file.search_rank,
        status=SourceImage.Status.FACES if faces_found else SourceImage.Status.NO_FACE,
        error="" if faces_found else f"No face found by the {detector.name} detector.",
    )


def faces_store(
    source_image: SourceImage, faces_found: list[FaceFound], detector: FaceDetector, *, approve: bool, actor
) -> list[Face]:
    """Create a Face per crop; with approve, faces that would wait for review are approved.

    1. Load the hashes of the identity's faces from its other photos, once for all crops.
    2. Give each crop its starting status: too small, a near-duplicate of one of those
       faces, or pending (approved with approve).
    3. Store it, with an audit event when it starts approved.
    """
    known_hashes = _identity_hashes(source_image)
    now = timezone.now()
    faces = []
    for found in faces_found:
        status, reason = _face_status(found, detector, known_hashes, approve=approve)
        face = Face.objects.create(
            identity=source_image.identity,
            source_image=source_image,
            file=content_store(found.crop_jpeg, "jpg"),
            box_left=found.detected.left,
            box_top=found.detected.top,
            box_width=found.detected.width,
            box_height=found.detected.height,
            detector=detector.name,
            confidence=found.detected.confidence,
            phash=found.phash,
            in_group_photo=len(faces_found) > 1,
            status=status,
            reason=reason,
            decided_at=None if status == Face.Status.PENDING else now,
        )
        if status == Face.Status.APPROVED:
            after = {"status": Face.Status.APPROVED.value, "via": "import"}
            AuditEvent.record(actor=actor, action="face.approve", target=face, after=after)
            faces_changed_on_commit("imported")
        faces.append(face)
    if any(face.status == Face.Status.PENDING for face in faces):
        # Review assistance scores the new crops in the background.
        faces_changed_on_commit("pending")
    return faces


def _identity_hashes(source_image: SourceImage) -> np.ndarray:
    """The difference hashes of the identity's faces that a new face of this photo could duplicate.

    Faces of the same photo are left out: a face found again by another detector is a
    new crop, not a copy. So are faces already marked duplicate, so that re-cropping a
    photo and its copy leaves the original's new face for review.
    """
    hashes = (
        Face.objects.filter(identity_id=source_image.identity_id)
        .exclude(source_image=source_image)
        .exclude(reason=Face.Reason.DUPLICATE)
        .values_list("phash", flat=True)
    )
    return np.fromiter(hashes, dtype=np.int64)


def _face_status(
    found: FaceFound, detector: FaceDetector, known_hashes: np.ndarray, *, approve: bool
) -> tuple[str, str]:
    """The status and reason a new face starts with."""
    detected = found.detected
    if detector.locates_faces and min(detected.width, detected.height) < settings.FACESITE_MIN_FACE_SIZE:
        return Face.Status.REJECTED, Face.Reason.TOO_SMALL
    # A copy of a photo already stored would only cost reviewers a vote, and, approved
    # twice, could land on both sides of a train/test split.
    if (
        known_hashes.size
        and hamming_distances(known_hashes, found.phash).min() <= settings.FACESITE_DUPLICATE_HASH_DISTANCE
    ):
        return Face.Status.REJECTED, Face.Reason.DUPLICATE
    return (Face.Status.APPROVED if approve else Face.Status.PENDING), ""
