"""Stored face crops of the fixture people, cut as the importer cuts them, for gallery tests."""

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from identities.models import Face, Identity
from tests.factories import make_face, make_source_image

FIXTURES = Path(__file__).parents[1] / "fixtures"


@dataclass(frozen=True)
class FixtureCrop:
    jpeg: bytes
    detector: str
    box: tuple[int, int, int, int]


@cache
def person_crops(person: str) -> tuple[FixtureCrop, ...]:
    """The importer's crops (160x160) of a fixture person's photos, in name order.

    CelebA people are folders of celeba/, found by MTCNN and cut with a 20% margin;
    ORL ones ("s1", "s2") are whole-face photos, taken whole as detector "none" does.
    """
    from pipeline.cropping import face_crop
    from pipeline.detection import detector_get

    orl = person.startswith("s")
    folder = FIXTURES / ("orl" if orl else "celeba") / person
    crops = []
    for path in sorted(folder.iterdir()):
        image = Image.open(path).convert("RGB")
        if orl:
            box = (0, 0, image.width, image.height)
        else:
            faces = detector_get("mtcnn").detect(np.asarray(image))
            box = max(faces, key=lambda face: face.width * face.height).box
        output = io.BytesIO()
        face_crop(image, box, margin=0.0 if orl else 0.2, size=160).save(output, format="JPEG", quality=95)
        crops.append(FixtureCrop(output.getvalue(), "none" if orl else "mtcnn", box))
    return tuple(crops)


def stored_face(identity: Identity, crop: FixtureCrop, status: str = Face.Status.PENDING) -> Face:
    face = make_face(identity, status=status, source_image=make_source_image(identity, data=crop.jpeg))
    left, top, width, height = crop.box
    face.detector, face.box_left, face.box_top, face.box_width, face.box_height = crop.detector, *crop.box
    face.save(update_fields=["detector", "box_left", "box_top", "box_width", "box_height"])
    return face


def unreadable_face(identity: Identity, status: str = Face.Status.APPROVED) -> Face:
    return make_face(
        identity, status=status, source_image=make_source_image(identity, data=b"not a jpeg at all")
    )
