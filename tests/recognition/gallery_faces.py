"""Stored face crops of the fixture people, cut as the importer cuts them, for gallery tests."""

import io
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from identities.models import Face, Identity
from tests.factories import make_face, make_source_image

FIXTURES = Path(__file__).parents[1] / "fixtures"


@cache
def person_crops(person: str) -> tuple[bytes, ...]:
    """JPEG crops (160x160, MTCNN box + 20% margin) of a fixture person's photos, in name order.

    CelebA people are folders of celeba/; ORL ones ("s1", "s2") are whole-face photos.
    """
    from pipeline.cropping import face_crop
    from pipeline.detection import detector_get

    folder = FIXTURES / ("orl" if person.startswith("s") else "celeba") / person
    crops = []
    for path in sorted(folder.iterdir()):
        image = Image.open(path).convert("RGB")
        if person.startswith("s"):
            box = (0, 0, image.width, image.height)
        else:
            faces = detector_get("mtcnn").detect(np.asarray(image))
            box = max(faces, key=lambda face: face.width * face.height).box
        output = io.BytesIO()
        face_crop(image, box, margin=0.2, size=160).save(output, format="JPEG", quality=95)
        crops.append(output.getvalue())
    return tuple(crops)


def stored_face(identity: Identity, crop: bytes, status: str = Face.Status.PENDING) -> Face:
    return make_face(identity, status=status, source_image=make_source_image(identity, data=crop))
