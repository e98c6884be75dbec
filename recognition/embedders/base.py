"""What the gallery needs of an embedder, whichever network it is."""

from typing import Protocol

import numpy as np

from pipeline.detection import DetectedFace


class Embedder(Protocol):
    # Stored in FaceEmbedding.embedder (at most 32 characters).
    name: str
    # Shown on pages and in the API, e.g. "FaceNet".
    label: str
    dimension: int

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The uint8 RGB input this embedder wants for a face of an uploaded RGB photo."""
        ...

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """(N, dimension) float32 L2-normalised embeddings of chips cut by chip()."""
        ...

    def embed_crops(self, crops: list[np.ndarray], faces: list) -> np.ndarray:
        """(N, dimension) float32 L2-normalised embeddings of stored Face crops and their rows."""
        ...
