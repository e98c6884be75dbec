"""Face detectors behind one small interface, chosen by name.

OpenCV and TensorFlow are imported inside the detector classes, so the web process and
`manage.py` start without loading them. To add a detector, write a class with `name`,
`locates_faces` and `detect()`, and add it to DETECTORS.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np

from facesite.errors import FacesiteError
from facesite.tensorflow_runtime import tensorflow_quiet


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
    # The detector's name (empty where a box comes from elsewhere): boxes of different
    # detectors frame a face differently, and FaceNet's chip is cut to suit each.
    detector: str = ""

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
        return [DetectedFace(left=0, top=0, width=width, height=height, detector=self.name)]


# Detecting on a copy no larger than this (longest side, pixels) keeps a 4000-pixel photo
# as fast as a small one; faces too small to survive the downscale are too small to
# review anyway.
DETECTION_MAX_SIDE = 1024


def image_downscale(image: np.ndarray, max_side: int = DETECTION_MAX_SIDE) -> tuple[np.ndarray, float]:
    """The image shrunk so its longest side is at most max_side, and the scale used (<= 1).

    The new size is given in pixels, each side at least one: a scale alone rounds the
    short side of a 1x2100 strip to zero, which cv2.resize refuses.
    """
    import cv2

    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image, scale


def face_unscale(
    box: tuple[float, float, float, float],
    scale: float,
    *,
    confidence: float | None = None,
    landmarks: dict[str, tuple[float, float]] | None = None,
    detector: str = "",
) -> DetectedFace:
    """A face found on a copy shrunk by scale, in the pixels of the original image."""
    left, top, width, height = (round(value / scale) for value in box)
    unscaled_landmarks = (
        {name: (round(x / scale), round(y / scale)) for name, (x, y) in landmarks.items()}
        if landmarks is not None
        else None
    )
    return DetectedFace(
        left, top, width, height, confidence=confidence, landmarks=unscaled_landmarks, detector=detector
    )


class HaarDetector:
    """OpenCV's frontal-face Haar cascade: fast on a CPU, misses turned and small faces."""

    name = "haar"
    locates_faces = True

    def __init__(self) -> None:
        import cv2

        cascade_path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._classifier = cv2.CascadeClassifier(cascade_path)
        if self._classifier.empty():
            raise FacesiteError(f"The Haar cascade {cascade_path} is missing; reinstall opencv-python<5.")

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        import cv2

        small, scale = image_downscale(image)
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        boxes = self._classifier.detectMultiScale(cv2.equalizeHist(grey), scaleFactor=1.1, minNeighbors=5)
        # The cascade gives no calibrated score, so confidence stays unknown.
        return [face_unscale(box, scale, detector=self.name) for box in boxes]


class MtcnnDetector:
    """MTCNN (Zhang et al., 2016) from the `mtcnn` package, which ships its weights.

    Three cascaded networks find turned, tilted and partly hidden faces that the Haar
    cascade misses, score each one and place five landmarks on it (eyes, nose, mouth
    corners). It costs a few hundred milliseconds a photo on a CPU.
    """

    name = "mtcnn"
    locates_faces = True
    # The last network's score for "this is a face". The package keeps 0.8; above 0.9
    # the boxes it still drops on in-the-wild photos are mostly hands, logos and
    # faces in posters, which reviewers would only reject.
    min_confidence = 0.9
    # Smallest face searched for, in pixels of the downscaled copy; the image pyramid
    # starts there, so a larger value is faster. Faces under FACESITE_MIN_FACE_SIZE in
    # the original photo are recorded as too small by the importer.
    min_face_size = 20
    landmark_names = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")

    def __init__(self) -> None:
        tensorflow_quiet()
        from mtcnn import MTCNN

        self._model = MTCNN(stages="face_and_landmarks_detection", device="CPU:0")

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        small, scale = image_downscale(image)
        found = self._model.detect_faces(
            small, min_face_size=self.min_face_size, threshold_onet=self.min_confidence
        )
        return [
            face_unscale(
                face["box"],
                scale,
                confidence=round(float(face["confidence"]), 4),
                landmarks={name: tuple(face["keypoints"][name]) for name in self.landmark_names},
                detector=self.name,
            )
            for face in found
        ]


class OnetBoxRefiner:
    """MTCNN's last network (O-net, 48x48 input) run on boxes another detector found.

    FaceNet was trained on chips cut around MTCNN's boxes, and an MTCNN box is O-net's
    regression from a square proposal. Given another detector's box as that proposal, O-net
    puts the box where MTCNN would: on the CelebA subset, YuNet's boxes overlap MTCNN's
    with a mean IoU of 0.89 as found and 0.93 refined (benchmarks/chip_fit.py).

    1. Square each box around its centre, as MTCNN's previous stage hands it on.
    2. Cut each square out as a 48x48 patch (bilinear, tf.image.crop_and_resize, as the
       mtcnn package does) and scale it to (x - 127.5) / 128.
    3. Move each edge by O-net's regression, a fraction of the square's side.
    4. Clip the box to the image, as the mtcnn package does with its own boxes.
    5. Place O-net's five landmarks, fractions of the square, in the image: MTCNN's own
       landmarks for that face.
    """

    size = 48

    def __init__(self) -> None:
        tensorflow_quiet()
        import tensorflow as tf
        from mtcnn.network.onet import ONet
        from mtcnn.utils.tensorflow import load_weights

        network = ONet()
        network.build()
        network.set_weights(load_weights("onet.lz4"))

        # One traced graph for any number of boxes: an eager Keras call costs several
        # times the network's own few milliseconds.
        @tf.function(
            input_signature=[tf.TensorSpec([None, None, 3], tf.uint8), tf.TensorSpec([None, 4], tf.float32)]
        )
        def outputs(image, regions):
            indices = tf.zeros([tf.shape(regions)[0]], tf.int32)
            patches = tf.image.crop_and_resize(image[None], regions, indices, (self.size, self.size))
            moves, landmarks, _ = network((patches - 127.5) / 128.0)
            return moves, landmarks

        self._outputs = outputs

    def refine(self, image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For an RGB image: (N, 4) float (left, top, width, height) boxes moved onto MTCNN's,
        and (N, 5, 2) landmarks (x, y), in MtcnnDetector.landmark_names' order."""
        height, width = image.shape[:2]
        side = np.maximum(boxes[:, 2], boxes[:, 3])
        left = boxes[:, 0] + (boxes[:, 2] - side) / 2
        top = boxes[:, 1] + (boxes[:, 3] - side) / 2
        squares = np.stack([left, top, left + side, top + side], axis=1)
        regions = squares[:, [1, 0, 3, 2]] / np.array([height, width, height, width])
        moves, fractions = (
            output.numpy()
            for output in self._outputs(np.ascontiguousarray(image), regions.astype(np.float32))
        )
        # The mtcnn package measures a box's side as x2 - x1 + 1, and places landmarks
        # (five x fractions, then five y) from the square's corner less one pixel.
        extent = (side + 1)[:, None]
        edges = squares + moves * extent
        edges = np.clip(edges, 0, [width - 1, height - 1, width - 1, height - 1])
        landmarks = np.stack(
            [fractions[:, :5] * extent + left[:, None] - 1, fractions[:, 5:] * extent + top[:, None] - 1],
            axis=2,
        )
        return np.concatenate([edges[:, :2], edges[:, 2:] - edges[:, :2]], axis=1), landmarks


class YunetDetector:
    """YuNet (Wu et al., 2023), the detector of libfacedetection, from the `yuface` wheel.

    A small convolutional network compiled into the wheel with its weights, so nothing is
    downloaded; it finds and scores each face. Its boxes frame a face a little differently
    from MTCNN's, on which FaceNet was trained, so each is moved onto MTCNN's by MTCNN's
    own last network (OnetBoxRefiner), which also places MTCNN's five landmarks on it:
    YuNet's own eyes saw a fixture face turned 20 degrees as turned 11.5 (O-net's 18.4,
    MTCNN's 21.1), and a crop levelled by them stayed 9 degrees askew (by O-net's, 0).
    Which faces are found and their scores stay YuNet's.
    """

    name = "yunet"
    locates_faces = True
    # yuface's score is 0-100 and its own default keeps 50. 0.7 was set beforehand, not
    # tuned: with it YuNet finds a face in 99.9% of the CelebA subset's photos, and of its
    # faces MTCNN does not find, the few that are not faces score 0.70-0.74.
    min_confidence = 0.7
    # yuface warns that sides over 960 pixels detect worse, and its time grows with the
    # pixels, so it looks at a smaller copy than the other detectors. 512 against 640:
    # 28 against 50 ms on a 640x480 photo, and a face in 99.9% of the 1,929 CelebA subset
    # photos either way (2,038 faces against 2,039; crop_throughput.py). It finds faces
    # from about 15 pixels wide in that copy, 3% of a photo's long side.
    max_side = 512
    landmark_names = MtcnnDetector.landmark_names
    # OpenMP threads of yuface's own libgomp. On the busy 2-core machine one thread ran
    # six times as many photos a second as two (see the README): with the other core
    # taken by other work, a second thread mostly waits for it.
    threads = 1
    # Said in the LFW benchmark's cache, which holds the chips of one kind of box.
    box_refinement = "box refined by MTCNN's O-net"

    def __init__(self) -> None:
        self._detect = _yuface_load(self.threads)
        self._refiner = OnetBoxRefiner()

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        small, scale = image_downscale(image, self.max_side)
        # yuface reads BGR, contiguous; a signed int16 row per face: score, box, ten
        # landmark coordinates, and a last column it does not document.
        rows = [
            row
            for row in self._detect(np.ascontiguousarray(small[..., ::-1])).tolist()
            if row[0] >= 100 * self.min_confidence
        ]
        if not rows:
            return []
        boxes, landmarks = self._refiner.refine(small, np.array([row[1:5] for row in rows], dtype=np.float64))
        # A face cut by the photo's edge can be clipped to nothing; its own box is kept.
        return [
            face_unscale(
                tuple(box) if min(box[2:]) >= 1 else tuple(row[1:5]),
                scale,
                confidence=round(float(row[0]) / 100, 4),
                landmarks={
                    name: (round(x), round(y))
                    for name, (x, y) in zip(self.landmark_names, points, strict=True)
                },
                detector=self.name,
            )
            for row, box, points in zip(rows, boxes.tolist(), landmarks.tolist(), strict=True)
        ]


def _yuface_load(threads: int) -> Callable[[np.ndarray], np.ndarray]:
    """yuface's detect function, its OpenMP pool sized to threads.

    The wheel's bundled libgomp reads OMP_NUM_THREADS once, when it is loaded, so the
    variable is set only around the import and the process's other libraries keep theirs.
    """
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        from yuface.yuface import detect
    finally:
        if previous is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = previous
    return detect


DETECTORS: dict[str, Callable[[], FaceDetector]] = {
    HaarDetector.name: HaarDetector,
    MtcnnDetector.name: MtcnnDetector,
    YunetDetector.name: YunetDetector,
    WholeImageDetector.name: WholeImageDetector,
}

# Which detector each path uses unless told (README, "Face detectors", has the figures).
# YuNet, its boxes moved onto MTCNN's by O-net, imports about six times as many photos a
# second as MTCNN and finds a face in more CelebA photos (99.9% against 99.1%). With the
# gallery's fused FaceNet + dlib embedding it scores 99.13% on LFW (plain cosine, the
# gallery's scoring; 98.93% with FaceNet's), over the 98.9% a new default must reach, so
# it is the default everywhere: imports, scraping, zip uploads, re-cropping and
# recognition. (With FaceNet alone it scored 98.87%, and MTCNN stayed until the fusion.)
DEFAULT_DETECTOR = YunetDetector.name
RECOGNITION_DETECTOR = YunetDetector.name


def detector_get(name: str) -> FaceDetector:
    """The detector registered under this name, or FacesiteError listing the valid names."""
    if name not in DETECTORS:
        raise FacesiteError(f"Unknown detector {name!r}; choose one of: {', '.join(sorted(DETECTORS))}.")
    return _detector_instance(name)


@cache
def _detector_instance(name: str) -> FaceDetector:
    # Loading a model takes far longer than one detection, so each process loads it once.
    return DETECTORS[name]()
