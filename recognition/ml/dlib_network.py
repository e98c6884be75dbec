"""dlib's face recognition ResNet, read from its own weights file and run by TensorFlow.

dlib runs this network (dlib_face_recognition_resnet_model_v1, 29 convolutions, 128-d)
with its own convolution code: the `dlib-bin` wheel is built without a BLAS, and one
150x150 chip took 115-130 ms on this 2-core machine, about twice FaceNet's time. The same
weights in TensorFlow give the same descriptors (tests/recognition/test_dlib_network.py
compares them with dlib's own) in 15-20 ms, 7 ms a chip in a batch
(benchmarks/dlib_fusion.py cost times each embedder).

The weights are read from the .dat file that face-recognition-models installs, in the
order dlib serialises the network: input first, then each layer's parameters. The layout
is dlib's (dnn/core.h, dnn/layers.h, dnn/tensor.h): integers are a length byte (0x80
for negative) and that many little-endian bytes; strings an integer length and the
bytes; a tensor the version 2, its four dimensions and its values as little-endian
float32. Only the layers this network has are read, and the reader checks the topology
it expects (dlib's dnn_face_recognition_ex.cpp) against what the file says, so a
different file is refused instead of misread.
"""

import re
import threading
from dataclasses import dataclass

import numpy as np

from facesite.errors import FacesiteError
from facesite.tensorflow_runtime import tensorflow_quiet

CHIP_SIZE = 150
DIMENSION = 128
# Chips run at once: the first layer's output alone is 0.66 MB a chip.
BATCH_SIZE = 32
# The ResNet's stages, input to output: (filters, blocks); a stage's first block halves
# the size (stride 2) except in the first stage.
STAGES = ((32, 3), (64, 4), (128, 3), (256, 3), (256, 1))


class DlibFileError(FacesiteError):
    """A weights file that is not the network this module runs."""


@dataclass(frozen=True)
class Convolution:
    filters: np.ndarray  # (rows, columns, inputs, outputs), TensorFlow's layout
    biases: np.ndarray
    stride: int
    padding: int


@dataclass(frozen=True)
class Affine:
    """dlib's inference-time batch norm: x * gamma + beta per channel."""

    gamma: np.ndarray
    beta: np.ndarray


@dataclass(frozen=True)
class Pool:
    size: int
    stride: int
    padding: int


@dataclass(frozen=True)
class Weights:
    means: np.ndarray  # per-channel (R, G, B) mean subtracted from the input, then / 256
    layers: list  # (name, Convolution | Affine | Pool | np.ndarray | None), input to output


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def integer(self) -> int:
        head = self.data[self.at]
        size, negative = head & 0x0F, head & 0x80
        value = int.from_bytes(self.data[self.at + 1 : self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if negative else value

    def real(self) -> float:
        """dlib's portable float: a mantissa and a power of two."""
        mantissa = self.integer()
        return mantissa * 2.0 ** self.integer()

    def tensor(self) -> np.ndarray:
        version = self.integer()
        if version != 2:
            raise DlibFileError(f"Unexpected tensor version {version} at byte {self.at}.")
        shape = [self.integer() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.at)
        self.at += 4 * count
        return values.reshape(shape).astype(np.float32)

    def layer_name(self) -> str:
        """Skip to the next layer's name (the bookkeeping between layers holds no weights)."""
        found = _LAYER_NAME.search(self.data, self.at)
        if found is None:
            raise DlibFileError(
                "The weights file holds no more of the network: "
                "not dlib's face recognition ResNet, or cut short."
            )
        self.at = found.end()
        return found.group(1).decode()


# A layer's name as dlib writes it: a one-byte length, then the name with its version.
_LAYER_NAME = re.compile(
    rb"\x01[\x04-\x20](con_\d|affine_\d?|relu_\d?|max_pool_\d|avg_pool_\d|add_prev_\d?|fc_\d|input_rgb_image_sized)"
)


def weights_read(path) -> Weights:
    """The network's parameters, input to output, from dlib's .dat file."""
    with open(path, "rb") as weights_file:
        reader = _Reader(weights_file.read())
    try:
        return _layers_read(reader)
    except (IndexError, ValueError) as error:  # read past the end of a cut file
        raise DlibFileError(f"The weights file {path} is cut short or damaged ({error}).") from error


def _layers_read(reader: _Reader) -> Weights:
    if reader.layer_name() != "input_rgb_image_sized":
        raise DlibFileError("The weights file does not start with dlib's RGB image input.")
    means = np.array([reader.real() for _ in range(3)], dtype=np.float32)
    layers = []
    while True:
        name = reader.layer_name()
        kind = name.rstrip("0123456789").rstrip("_")
        if kind == "con":
            params = reader.tensor().ravel()
            outputs, rows, columns, stride, _, padding, _ = (reader.integer() for _ in range(7))
            inputs = (params.size - outputs) // (outputs * rows * columns)
            filters = params[:-outputs].reshape(outputs, inputs, rows, columns).transpose(2, 3, 1, 0)
            layers.append((kind, Convolution(filters, params[-outputs:], stride, padding)))
        elif kind == "affine":
            gamma, beta = np.split(reader.tensor().ravel(), 2)
            layers.append((kind, Affine(gamma, beta)))
        elif kind in ("max_pool", "avg_pool"):
            rows, _, stride, _, padding, _ = (reader.integer() for _ in range(6))
            layers.append((kind, Pool(rows, stride, padding)))
        elif kind == "fc":
            outputs, inputs = reader.integer(), reader.integer()
            layers.append((kind, reader.tensor().reshape(inputs, outputs)))
            return Weights(means, layers)
        else:
            layers.append((kind, None))


def weights_check(weights: Weights) -> None:
    """Refuse a file whose layers are not dlib_face_recognition_resnet_model_v1's."""
    expected = ["con", "affine", "relu", "max_pool"]
    for stage, (_, blocks) in enumerate(STAGES):
        for block in range(blocks):
            expected += ["con", "affine", "relu", "con", "affine"]
            expected += ["avg_pool"] if stage and not block else []
            expected += ["add_prev", "relu"]
    expected += ["avg_pool", "fc"]
    kinds = [kind for kind, _ in weights.layers]
    if kinds != expected:
        raise DlibFileError("The weights file is not dlib's face recognition ResNet v1.")
    widths = [layer.filters.shape[3] for kind, layer in weights.layers if kind == "con"]
    expected_widths = [32] + [filters for filters, blocks in STAGES for _ in range(2 * blocks)]
    if widths != expected_widths or weights.layers[-1][1].shape != (256, DIMENSION):
        raise DlibFileError("The weights file's layer sizes are not dlib's face recognition ResNet v1's.")


class DlibNetwork:
    """150x150 RGB chips (dlib's get_face_chip) in, dlib's 128-d descriptors out (not
    normalised, as dlib gives them). Built on first use, once per instance."""

    def __init__(self, weights_path) -> None:
        self._weights_path = weights_path
        self._run = None
        self._lock = threading.Lock()

    def descriptors(self, chips: np.ndarray) -> np.ndarray:
        """(N, 128) float32 for an (N, 150, 150, 3) uint8 batch."""
        run = self._load()
        chips = np.ascontiguousarray(chips, dtype=np.uint8)
        parts = [run(chips[start : start + BATCH_SIZE]).numpy() for start in range(0, len(chips), BATCH_SIZE)]
        return np.concatenate(parts) if parts else np.zeros((0, DIMENSION), np.float32)

    def _load(self):
        with self._lock:
            if self._run is None:
                weights = weights_read(self._weights_path)
                weights_check(weights)
                self._run = _graph_build(weights)
            return self._run


def _graph_build(weights: Weights):
    """A traced TensorFlow function running the network on a batch of uint8 chips."""
    tensorflow_quiet()
    import tensorflow as tf

    def convolve(x, layer: Convolution):
        pad = layer.padding
        x = tf.nn.conv2d(
            x, tf.constant(layer.filters), layer.stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]
        )
        return x + layer.biases

    def pool(x, kind: str, layer: Pool):
        if layer.size == 0:  # avg_pool_everything
            return tf.reduce_mean(x, axis=[1, 2])
        padded = tf.pad(x, [[0, 0], [layer.padding] * 2, [layer.padding] * 2, [0, 0]])
        function = tf.nn.max_pool2d if kind == "max_pool" else tf.nn.avg_pool2d
        return function(padded, layer.size, layer.stride, "VALID")

    def add(a, b):
        """dlib's add_prev: the smaller tensor zero-padded at its ends to the larger's shape."""
        shape = tf.maximum(tf.shape(a), tf.shape(b))

        def grown(x):
            return tf.pad(x, tf.stack([tf.zeros(4, tf.int32), shape - tf.shape(x)], axis=1))

        return grown(a) + grown(b)

    @tf.function(input_signature=[tf.TensorSpec([None, CHIP_SIZE, CHIP_SIZE, 3], tf.uint8)])
    def run(chips):
        layers = iter(layer for _, layer in weights.layers)

        def convolve_affine(x):
            convolution, affine = next(layers), next(layers)
            return convolve(x, convolution) * affine.gamma + affine.beta

        x = (tf.cast(chips, tf.float32) - weights.means) / 256.0
        x = tf.nn.relu(convolve_affine(x))
        next(layers)  # its relu
        x = pool(x, "max_pool", next(layers))
        for stage, (_, blocks) in enumerate(STAGES):
            for block in range(blocks):
                shortcut = x
                x = tf.nn.relu(convolve_affine(x))
                next(layers)  # its relu
                x = convolve_affine(x)
                if stage and not block:
                    shortcut = pool(shortcut, "avg_pool", next(layers))
                next(layers), next(layers)  # add_prev and relu
                x = tf.nn.relu(add(x, shortcut))
        x = pool(x, "avg_pool", next(layers))
        return tf.matmul(x, next(layers))

    return run
