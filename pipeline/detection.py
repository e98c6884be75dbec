"""Face detectors behind one small interface, chosen by name.

OpenCV is imported inside the detector classes, so the web process and `manage.py`
start without loading it. To add a detector, write a class with `name`,
`locates_faces` and `detect()`, and add it to DETECTORS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np

from facesite.errors import FacesiteError


@dataclass(frozen=True)
class DetectedFace:
    """A face box in the pixels of the image given to the detector."""

    left: int
    top: int
    width: int
    height: int
    confidence: float | None = None
    # Named points such as {"left_eye": (x, y)}, for detectors that find them.
    landmarks: dict | None = None

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.width, self.height)


class FaceDetector(Protocol):
    name: str
    # False for a detector that takes the image as given rather than searching it, so
    # checks on the size of a found face do not apply.
    locates_faces: bool

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        """The faces in an RGB uint8 image of shape (height, width, 3)."""
        ...


class WholeImageDetector:
    """Takes the whole image as the face: for folders of ready-made crops such as ORL."""

    name = "none"
    locates_faces = False

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        height, width = image.shape[:2]
        return [DetectedFace(left=0, top=0, width=width, height=height)]


class HaarDetector:
    """OpenCV's frontal-face Haar cascade: fast on a CPU, misses turned and small faces."""

    name = "haar"
    locates_faces = True
    # Detecting on a copy no larger than this (longest side, pixels) keeps a 4000-pixel
    # photo as fast as a small one; faces too small to survive the downscale are too
    # small to review anyway.
    max_side = 1024

    def __init__(self) -> None:
        import cv2

        cascade_path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._classifier = cv2.CascadeClassifier(cascade_path)
        if self._classifier.empty():
            raise FacesiteError(f"The Haar cascade {cascade_path} is missing; reinstall opencv-python<5.")

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        import cv2

        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        scale = min(1.0, self.max_side / max(grey.shape))
        if scale < 1.0:
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        boxes = self._classifier.detectMultiScale(cv2.equalizeHist(grey), scaleFactor=1.1, minNeighbors=5)
        # The cascade gives no calibrated score, so confidence stays unknown.
        return [
            DetectedFace(
                left=round(left / scale),
                top=round(top / scale),
                width=round(width / scale),
                height=round(height / scale),
            )
            for left, top, width, height in boxes
        ]


DETECTORS: dict[str, Callable[[], FaceDetector]] = {
    HaarDetector.name: HaarDetector,
    WholeImageDetector.name: WholeImageDetector,
}


def detector_get(name: str) -> FaceDetector:
    """The detector registered under this name, or FacesiteError listing the valid names."""
    if name not in DETECTORS:
        raise FacesiteError(f"Unknown detector {name!r}; choose one of: {', '.join(sorted(DETECTORS))}.")
    return _detector_instance(name)


@cache
def _detector_instance(name: str) -> FaceDetector:
    # Loading a model takes far longer than one detection, so each process loads it once.
    return DETECTORS[name]()
