"""Verification (1:1): whether the largest faces of two photos are the same person.

The faces are compared by the gallery's pretrained embedder (FaceNet fused with dlib by
default, FaceNet alone with FACESITE_GALLERY_EMBEDDER=facenet) at its LFW 1:1 threshold.
A trained model's embedding has no such figure, so FaceNet stands in for it.
"""

import base64
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

import numpy as np

from identities.images import ImageRejected
from pipeline.detection import DetectedFace
from recognition.embedders.base import PretrainedEmbedder
from recognition.embedders.dlib_resnet import fused_embedder
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.policy import gallery_searches_fused
from recognition.gallery.thresholds import embedder_one_to_one
from recognition.services.answers import Box, box_answer
from recognition.services.results import png_bytes
from recognition.services.uploads import NoFaceFound, photo_decode, photo_faces


class VerificationAnswer(TypedDict):
    same_person: bool
    similarity: Annotated[float, "Cosine similarity of the two faces' embeddings"]
    threshold: Annotated[float, "At or above it the two faces are one person"]
    embedder: Annotated[str, "What compared them: facenet-dlib (FaceNet and dlib fused) or facenet"]
    faces: Annotated[list[Box], "The largest face of each photo", {"minItems": 2, "maxItems": 2}]


@dataclass(frozen=True)
class Verification:
    """Whether the largest faces of two photos are the same person."""

    similarity: float
    threshold: float
    boxes: tuple[Box, Box]
    # The embedder that compared them, and its label for the page.
    embedder: str
    embedder_label: str
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
            "embedder": self.embedder,
            "faces": list(self.boxes),
        }


def verification_embedder() -> PretrainedEmbedder:
    """The gallery's pretrained embedder: fused unless the gallery searches FaceNet alone
    (or a trained model's embedding, which has no LFW 1:1 figure)."""
    return fused_embedder() if gallery_searches_fused() else facenet_embedder()


def _largest_face(data: bytes, which: str) -> tuple[np.ndarray, DetectedFace]:
    """The pixels of a photo and its largest face; errors name the photo."""
    try:
        decoded = photo_decode(data)
    except ImageRejected as rejection:
        raise ImageRejected(f"The {which} photo: {rejection}", rejection.kind) from None
    pixels = np.asarray(decoded.image)
    faces = photo_faces(pixels)
    if not faces:
        raise NoFaceFound(f"No face found in the {which} photo.")
    return pixels, faces[0]


def photos_verify(*, first: bytes, second: bytes) -> Verification:
    """Compare the largest face of each photo: cosine similarity of their embeddings by
    verification_embedder() against its 1:1 threshold. Nothing is stored; the page shows
    each face as FaceNet's chip cuts it."""
    faces = [_largest_face(first, "first"), _largest_face(second, "second")]
    embedder = verification_embedder()
    embeddings = embedder.embed_chips([embedder.chip(pixels, face) for pixels, face in faces])
    similarity = float(np.dot(embeddings[0], embeddings[1]))
    first_chip, second_chip = (facenet_embedder().chip(pixels, face) for pixels, face in faces)
    return Verification(
        similarity,
        float(embedder_one_to_one(embedder.name)),
        (box_answer(faces[0][1]), box_answer(faces[1][1])),
        embedder.name,
        embedder.label,
        (first_chip, second_chip),
    )
