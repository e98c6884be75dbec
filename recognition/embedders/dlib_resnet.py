"""dlib's ResNet (the encoder of face_recognition) and FaceNet fused with it.

dlib's network (dlib_face_recognition_resnet_model_v1, 128-d) and its 5-point shape
predictor ship inside the face-recognition-models package, so nothing is downloaded. Its
face is cut as face_recognition cuts it: five landmarks found from a box, then dlib's own
150x150 aligned chip (get_face_chip, padding 0.25), no jitter. The network itself runs in
TensorFlow from dlib's weights file (recognition.ml.dlib_network), with dlib's answers
and about seven times faster than dlib's own code.

The shape predictor was trained on boxes of dlib's HOG detector, which frames a face lower
and squatter than MTCNN: an MTCNN box is moved to where HOG would have put it first
(HOG_FRAMING). On CelebA that halved the landmarks' disagreement with those found from
HOG's own box (benchmarks/dlib_fusion.py).

The fused embedding is [sqrt(w) FaceNet, sqrt(1 - w) dlib]: a unit vector whose cosine
similarity is w x FaceNet's cosine + (1 - w) x dlib's, so cores, the gallery search and
the impostor model work on it as on any other embedding.
"""

import importlib.util
import threading
from functools import cache
from pathlib import Path

import numpy as np

from facesite.errors import FacesiteError
from pipeline.detection import DetectedFace
from recognition.embedders.base import stored_crop_box
from recognition.embedders.facenet import FaceNetEmbedder, facenet_embedder
from recognition.ml.dlib_network import DlibNetwork
from recognition.ml.scores import l2_normalise

# Where dlib's HOG detector frames the face an MTCNN box holds: left and top offsets and
# width and height scales, in units of the box; the median over 377 faces of LFW folds
# 1-5 (benchmarks/dlib_fusion.py framing). YuNet's boxes, moved onto MTCNN's by O-net,
# gave -0.096, +0.123, x1.187, x0.879: within about 1% of the box, so these stand.
HOG_FRAMING = (-0.085, 0.131, 1.174, 0.879)
CHIP_SIZE = 150
CHIP_PADDING = 0.25


def models_dir() -> Path:
    """The face-recognition-models package's weights, found without importing the
    package (its __init__ needs setuptools' pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FacesiteError(
            "The face-recognition-models package is not installed; pip install -r requirements.txt."
        )
    return Path(spec.submodule_search_locations[0]) / "models"


def hog_framed(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the rectangle HOG would draw around an MTCNN box's face."""
    left, top, width, height = box
    left, top = left + HOG_FRAMING[0] * width, top + HOG_FRAMING[1] * height
    width, height = HOG_FRAMING[2] * width, HOG_FRAMING[3] * height
    return round(left), round(top), round(left + width), round(top + height)


class DlibEmbedder:
    """dlib's 128-d face descriptor, L2-normalised (its own Euclidean distances order
    pairs as the cosine does). The shape predictor and the network load on first use,
    once per process."""

    name = "dlib"
    label = "dlib ResNet"
    dimension = 128
    # What an LFW cache of its vectors says made them (recognition.services.lfw).
    chip_description = "dlib"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shape_predictor = None
        self._resnet = None

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """dlib's 150x150 uint8 RGB aligned chip of one detected face of an RGB photo."""
        return self.box_chip(np.asarray(image)[..., :3], face.box)

    def box_chip(self, image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        import dlib

        shapes = self._shapes()
        image = np.ascontiguousarray(image)
        with self._lock:
            shape = shapes(image, dlib.rectangle(*hog_framed(box)))
        return dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return l2_normalise(self._network().descriptors(np.stack(chips)))

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        """Embeddings of stored Face crops: the box each crop was cut around, then chip()."""
        faces = faces or [None] * len(crops)
        chips = []
        for crop, face in zip(crops, faces, strict=True):
            crop = np.asarray(crop)[..., :3]
            chips.append(self.box_chip(crop, stored_crop_box(crop.shape[0], face)))
        return self.embed_chips(chips)

    def _shapes(self):
        with self._lock:
            if self._shape_predictor is None:
                import dlib

                path = models_dir() / "shape_predictor_5_face_landmarks.dat"
                self._shape_predictor = dlib.shape_predictor(str(path))
            return self._shape_predictor

    def _network(self) -> DlibNetwork:
        with self._lock:
            if self._resnet is None:
                self._resnet = DlibNetwork(models_dir() / "dlib_face_recognition_resnet_model_v1.dat")
            return self._resnet


class FusedEmbedder:
    """FaceNet and dlib together: each face's two embeddings joined, weighted so the
    cosine similarity is facenet_weight x FaceNet's + the rest x dlib's."""

    name = "facenet-dlib"
    label = "FaceNet + dlib"
    dimension = FaceNetEmbedder.dimension + DlibEmbedder.dimension
    # FaceNet's share of the fused cosine, chosen on LFW folds 1-5 (faces found by
    # recognition's detector) by how many enrolled people open-set identification names
    # (benchmarks/dlib_fusion.py fit).
    facenet_weight = 0.15
    impostor_model_file = Path(__file__).with_name("facenet_dlib_impostors.json")
    # The fused cosine at which two faces are one person (1:1): the best-accuracy threshold
    # on the pairs of LFW folds 1-5 (benchmarks/dlib_fusion.py fit); the gallery's floor.
    verification_threshold = 0.822

    def __init__(self, facenet: FaceNetEmbedder, dlib: DlibEmbedder) -> None:
        self.facenet, self.dlib = facenet, dlib

    @property
    def chip_description(self) -> str:
        """What a cache of its vectors says made them: the weight changes every vector."""
        return f"{self.name} w {self.facenet_weight}"

    def chip(self, image: np.ndarray, face: DetectedFace) -> tuple[np.ndarray, np.ndarray]:
        """(FaceNet's chip, dlib's chip) of one detected face."""
        return self.facenet.chip(image, face), self.dlib.chip(image, face)

    def embed_chips(self, chips: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        return self.fuse(
            self.facenet.embed_chips([facenet for facenet, _ in chips]),
            self.dlib.embed_chips([dlib for _, dlib in chips]),
        )

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        return self.fuse(self.facenet.embed_crops(crops, faces), self.dlib.embed_crops(crops, faces))

    def fuse(self, facenet: np.ndarray, dlib: np.ndarray) -> np.ndarray:
        """Unit vectors whose cosine is the weighted sum of the two embedders' cosines."""
        weight = self.facenet_weight
        joined = np.hstack([np.sqrt(weight) * facenet, np.sqrt(1 - weight) * dlib])
        return joined.reshape(-1, self.dimension).astype(np.float32)


@cache
def dlib_embedder() -> DlibEmbedder:
    return DlibEmbedder()


@cache
def fused_embedder() -> FusedEmbedder:
    """The process's fused embedder, sharing FaceNet's graph with facenet_embedder()."""
    return FusedEmbedder(facenet_embedder(), dlib_embedder())
