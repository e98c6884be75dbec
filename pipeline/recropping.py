"""Re-cropping: detect the faces of an identity's stored photos again, with another detector.

Faces found earlier by other detectors stay as they are, with their reviews; the new
detector's faces join them. A photo that already has faces from the chosen detector is
skipped, so a run that was stopped or killed halfway finishes on the next run and a
second run adds nothing.
"""

import logging
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from identities.images import ImageRejected, image_decode
from identities.models import Face, Identity, SourceImage
from pipeline.detection import FaceDetector, detector_get
from pipeline.importer import READ_ERRORS, faces_find, faces_store
from pipeline.jobs import JobProgress, summary_json

logger = logging.getLogger(__name__)


@dataclass
class RecropSummary:
    """What one re-crop did, for the job page."""

    photos: int = 0
    faces: int = 0
    near_duplicates: int = 0
    # Photos no detector had found a face in, in which this one found some.
    photos_with_new_faces: int = 0
    unreadable: int = 0


def recrop_job_run(*, identity: Identity, detector_name: str, progress: JobProgress) -> dict:
    """The re-crop job: every decodable photo of one identity, through the chosen detector.

    1. List the identity's photos with faces or without, leaving out invalid files and
       photos that already have faces from this detector.
    2. For each photo, read and decode it, then detect and crop outside any transaction.
    3. Store its new faces (pending, too small or near-duplicate, as on import) and mark
       a photo that had no face as having faces, in one transaction.
    4. Recount the identity's faces.
    """
    detector = detector_get(detector_name)
    source_images = list(_photos_to_recrop(identity, detector.name))
    progress.step(f"Re-cropping {len(source_images)} photos of {identity.name} with {detector.name}")
    summary = RecropSummary()
    for done, source_image in enumerate(source_images, start=1):
        _photo_recrop(source_image, detector, summary)
        progress.advance(done, len(source_images), summary=summary_json(summary))
    identity.update_face_counts()
    progress.log(
        f"{summary.photos} photos, {summary.faces} new faces ({summary.near_duplicates} near-duplicates)."
    )
    return summary_json(summary)


def _photos_to_recrop(identity: Identity, detector_name: str):
    already_cropped = Face.objects.filter(identity=identity, detector=detector_name).values("source_image_id")
    return (
        identity.source_images.filter(status__in=[SourceImage.Status.FACES, SourceImage.Status.NO_FACE])
        .exclude(pk__in=already_cropped)
        .order_by("pk")
    )


def _photo_recrop(source_image: SourceImage, detector: FaceDetector, summary: RecropSummary) -> None:
    try:
        with default_storage.open(source_image.file, "rb") as handle:
            decoded = image_decode(handle.read())
    except (*READ_ERRORS, ImageRejected) as error:
        # Stored files were decoded once already; one that no longer reads is left for a person to check.
        logger.warning(
            "Could not re-read %s of source image %s: %s", source_image.file, source_image.pk, error
        )
        summary.unreadable += 1
        return
    faces_found = faces_find(decoded.image, detector)
    try:
        with transaction.atomic():
            faces = faces_store(source_image, faces_found, detector, approve=False, actor=None)
            found_first_faces = bool(faces) and _no_face_photo_update(source_image)
    except IntegrityError:
        # Another run stored this detector's faces of this photo since it was listed.
        return
    summary.photos += 1
    summary.photos_with_new_faces += found_first_faces
    summary.faces += len(faces)
    summary.near_duplicates += sum(face.reason == Face.Reason.DUPLICATE for face in faces)


def _no_face_photo_update(source_image: SourceImage) -> bool:
    """Mark a photo recorded as having no face as having faces; False if it had some already."""
    updated = SourceImage.objects.filter(pk=source_image.pk, status=SourceImage.Status.NO_FACE).update(
        status=SourceImage.Status.FACES, error=""
    )
    return bool(updated)
