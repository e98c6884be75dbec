"""Small factories: make rows for tests, with real image files behind them."""

import io
import itertools
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from PIL import Image

from identities.models import Face, Identity, ReviewLease, SourceImage
from identities.review_services import ReviewOutcome, review_vote_record
from identities.storage import content_store, sha256_hex

_counter = itertools.count(1)


def jpeg_bytes(width: int = 64, height: int = 64, color=(200, 150, 120), comment: str = "") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", comment=comment.encode())
    return buffer.getvalue()


def multi_picture_jpeg(path) -> bytes:
    """A phone's multi-picture JPEG (MPO) of a photo file: the photo, then a second picture."""
    with Image.open(path) as image:
        first = image.convert("RGB")
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[first.rotate(90)])
    return buffer.getvalue()


def make_identity(name: str | None = None, **fields) -> Identity:
    return Identity.objects.create(name=name or f"Person {next(_counter)}", **fields)


def make_source_image(identity: Identity, data: bytes | None = None, **fields) -> SourceImage:
    number = next(_counter)
    # The number goes in a JPEG comment too: neighbouring colours can save to the same
    # bytes, and two such images of one identity would break its unique (identity, sha256).
    data = data or jpeg_bytes(color=(number % 256, 100, 100), comment=f"factory {number}")
    defaults = dict(
        sha256=sha256_hex(data),
        file=content_store(data, "jpg"),
        byte_size=len(data),
        width=64,
        height=64,
        image_format="JPEG",
        origin=SourceImage.Origin.FILE,
        origin_detail=f"/photos/{next(_counter)}.jpg",
        status=SourceImage.Status.FACES,
    )
    return SourceImage.objects.create(identity=identity, **{**defaults, **fields})


def make_face(identity: Identity, status: str = Face.Status.PENDING, **fields) -> Face:
    source = fields.pop("source_image", None) or make_source_image(identity)
    face = Face.objects.create(
        identity=identity,
        source_image=source,
        file=source.file,
        box_left=0,
        box_top=0,
        box_width=64,
        box_height=64,
        detector="none",
        phash=next(_counter),
        status=status,
        **fields,
    )
    identity.update_face_counts()
    return face


def make_pending_faces(identity: Identity, count: int, detector: str = "none", **source_fields) -> list[Face]:
    """Pending faces sharing one source photo, with the identity's counts brought up to date."""
    source = make_source_image(identity, **source_fields)
    faces = Face.objects.bulk_create(
        Face(
            identity=identity,
            source_image=source,
            file=source.file,
            box_left=number,
            box_top=0,
            box_width=64,
            box_height=64,
            detector=detector,
            phash=next(_counter),
        )
        for number in range(count)
    )
    identity.update_face_counts()
    return faces


def make_identities_with_faces(count: int, faces_each: int, *, statuses=(Face.Status.PENDING,)) -> None:
    """Many identities with faces as rows only, no image files, for query-count tests.

    Face number n of each identity gets statuses[n % len(statuses)]; the stored counts match.
    """
    face_statuses = [statuses[number % len(statuses)] for number in range(faces_each)]
    counts = {status: face_statuses.count(status) for status in Face.Status.values}
    offset = Identity.objects.count()
    identities = Identity.objects.bulk_create(
        Identity(
            name=f"Person {offset + number}",
            pending_count=counts[Face.Status.PENDING],
            approved_count=counts[Face.Status.APPROVED],
            rejected_count=counts[Face.Status.REJECTED],
        )
        for number in range(count)
    )
    sources = SourceImage.objects.bulk_create(
        SourceImage(
            identity=identity,
            sha256=f"{identity.pk:064d}",
            file=f"{identity.pk}.jpg",
            byte_size=1,
            origin=SourceImage.Origin.FILE,
            origin_detail="x.jpg",
            status=SourceImage.Status.FACES,
        )
        for identity in identities
    )
    Face.objects.bulk_create(
        Face(
            identity_id=source.identity_id,
            source_image=source,
            file=f"face-{source.pk}-{number}.jpg",
            box_left=number,
            box_top=0,
            box_width=10,
            box_height=10,
            detector="none",
            phash=number,
            status=status,
        )
        for source in sources
        for number, status in enumerate(face_statuses)
    )


def lease_faces(reviewer, face_ids, now: datetime | None = None) -> None:
    """Lease faces to a reviewer as a fetched batch would, whatever the queue would hand out."""
    expires_at = (now or timezone.now()) + timedelta(seconds=settings.FACESITE_REVIEW_LEASE_SECONDS)
    for face_id in face_ids:
        ReviewLease.objects.update_or_create(
            face_id=face_id, reviewer=reviewer, defaults={"expires_at": expires_at}
        )


def vote_served(*, reviewer, face_id: int, now: datetime | None = None, **options) -> ReviewOutcome:
    """A reviewer's vote on a face served to them: the face is leased to them, then voted on."""
    lease_faces(reviewer, [face_id], now=now)
    return review_vote_record(reviewer=reviewer, face_id=face_id, now=now, **options)
