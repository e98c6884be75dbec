"""Verification (1:1): whether the largest faces of two photos are the same person."""

import base64
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

import numpy as np

from identities.images import ImageRejected
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.thresholds import verification_threshold
from recognition.services.answers import Box, box_answer
from recognition.services.results import png_bytes
from recognition.services.uploads import NoFaceFound, photo_decode, photo_faces


class VerificationAnswer(TypedDict):
    same_person: bool
    similarity: Annotated[float, "Cosine similarity of the two faces' FaceNet embeddings"]
    threshold: Annotated[float, "At or above it the two faces are one person"]
    faces: Annotated[list[Box], "The largest face of each photo", {"minItems": 2, "maxItems": 2}]


@dataclass(frozen=True)
class Verification:
    """Whether the largest faces of two photos are the same person."""

    similarity: float
    threshold: float
    boxes: tuple[Box, Box]
    # The two faces as compared, for the page to show (never stored).
    chips: tuple[np.ndarray, np.ndarray] = field(repr=False, compare=False)

    def chip_data_urls(self) -> list[str]:
        return ["data:image/png;base64," + base64.b64encode(png_bytes(chip)).decode() for chip in self.chips]

    @property
    def same_person(self) -> bool:
        return self.similarity >= self.threshold

    def as_dict(self) -> VerificationAnswer:
        return {
            "same_person": self.same_person,
            "similarity": round(self.similarity, 4),
            "threshold": round(self.threshold, 4),
            "faces": list(self.boxes),
        }


def _largest_face_chip(data: bytes, which: str) -> tuple[np.ndarray, Box]:
    """The chip and box of the largest face in a photo; errors name the photo."""
    try:
        decoded = photo_decode(data)
    except ImageRejected as rejection:
        raise ImageRejected(f"The {which} photo: {rejection}", rejection.kind) from None
    pixels = np.asarray(decoded.image)
    faces = photo_faces(pixels)
    if not faces:
        raise NoFaceFound(f"No face found in the {which} photo.")
    return facenet_embedder().chip(pixels, faces[0]), box_answer(faces[0])


def photos_verify(*, first: bytes, second: bytes) -> Verification:
    """Compare the largest face of each photo: cosine similarity of their FaceNet embeddings
    against the verification threshold. Nothing is stored."""
    first_chip, first_box = _largest_face_chip(first, "first")
    second_chip, second_box = _largest_face_chip(second, "second")
    embeddings = facenet_embedder().embed_chips([first_chip, second_chip])
    similarity = float(np.dot(embeddings[0], embeddings[1]))
    return Verification(
        similarity, float(verification_threshold()), (first_box, second_box), (first_chip, second_chip)
    )
