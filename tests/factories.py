"""Small factories: make rows for tests, with real image files behind them."""

import io
import itertools

from PIL import Image

from identities.models import Face, Identity, SourceImage
from identities.storage import content_store, sha256_hex

_counter = itertools.count(1)


def jpeg_bytes(width: int = 64, height: int = 64, color=(200, 150, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def make_identity(name: str | None = None, **fields) -> Identity:
    return Identity.objects.create(name=name or f"Person {next(_counter)}", **fields)


def make_source_image(identity: Identity, data: bytes | None = None, **fields) -> SourceImage:
    data = data or jpeg_bytes(color=(next(_counter) % 256, 100, 100))
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
