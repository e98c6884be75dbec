"""The networks as Functional Keras models, and running them on batches.

Every model takes raw [0, 255] pixels (or, for the FaceNet head, 512-d embeddings) and
ends in a float32 softmax layer named "predictions"; the layer before it is what a
model's gallery embedder reads.
"""

import numpy as np

from facesite.tensorflow_runtime import tensorflow_quiet

# InceptionV3's stem and reductions need at least 75 x 75 pixels.
INCEPTION_MIN_SIZE = 75
EMBEDDING_SIZE = 512
# The FaceNet head multiplies the unit-length embeddings by this before its softmax layer.
EMBEDDING_SCALE = 16.0
PREDICT_BATCH = 64
# Conv layers offered for feature maps at most; the last conv layer is always among them.
IMAGE_LAYERS_MAX = 8


def classifier(features_of, input_shape: tuple, num_classes: int, name: str):
    """A Functional keras.Model: inputs, features_of(inputs), then a float32 softmax.

    float32 softmax: under mixed precision float16 probabilities underflow.
    """
    import keras

    inputs = keras.Input(shape=input_shape, name="image" if len(input_shape) == 3 else "embedding")
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        features_of(inputs)
    )
    return keras.Model(inputs, outputs, name=name)


def inception_v3_features(inputs):
    """Keras InceptionV3 without weights (no downloads), as the original, on [-1, 1] pixels."""
    import keras

    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(inputs)
    base = keras.applications.InceptionV3(weights=None, include_top=False, input_tensor=scaled, pooling="avg")
    return keras.layers.Dropout(0.4, name="dropout")(base.output)


def small_cnn_features(inputs):
    """Four conv blocks (conv, batch norm, ReLU, pool), global average pooling, dropout."""
    from keras import layers

    features = layers.Rescaling(1 / 255, name="rescale")(inputs)
    for block, filters in enumerate((32, 64, 128, 256), start=1):
        features = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(features)
        features = layers.BatchNormalization(name=f"bn{block}")(features)
        features = layers.Activation("relu", name=f"relu{block}")(features)
        features = layers.MaxPooling2D(name=f"pool{block}")(features)
    features = layers.GlobalAveragePooling2D(name="pool")(features)
    return layers.Dropout(0.3, name="dropout")(features)


def facenet_head_features(inputs):
    """The frozen 512-d FaceNet embedding, scaled, then dropout; the softmax layer is the whole model.

    The embeddings have unit length, so unscaled logits stay small and the softmax stays
    unsure for hundreds of epochs (mean top score 0.44 after 40 epochs on separable
    synthetic data, against 0.98 scaled); a fixed scale, as cosine-softmax heads use,
    makes its scores, and the unknown threshold drawn from them, meaningful quickly.
    """
    import keras

    scaled = keras.layers.Rescaling(EMBEDDING_SCALE, name="scale")(inputs)
    return keras.layers.Dropout(0.2, name="dropout")(scaled)


def build_with_precision(build, mixed_precision: bool):
    """build() under the mixed_float16 policy if asked; the float32 policy is set back after."""
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed_precision else "float32")
    try:
        return build()
    finally:
        keras.mixed_precision.set_global_policy("float32")


def mixed_precision_wanted(mode: str) -> bool:
    """ "on" or "off" as said; "auto" only when TensorFlow sees a GPU."""
    if mode != "auto":
        return mode == "on"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def model_file_load(path):
    """A saved model.keras, uncompiled (it is only run, never trained further)."""
    import keras

    tensorflow_quiet()
    return keras.models.load_model(path, compile=False)


def features_model(model):
    """The model cut at the input of its softmax layer ("predictions")."""
    import keras

    return keras.Model(model.input, model.get_layer("predictions").input)


def model_outputs(model, inputs: np.ndarray) -> np.ndarray:
    """A Keras model's outputs for a batch of inputs, the way that is quick for its size."""
    if not len(inputs):
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    # predict() sets up a data pipeline on every call: about 100 ms on this CPU for the
    # one or two faces of an upload, against 4 ms for a single batch.
    if len(inputs) <= PREDICT_BATCH:
        return np.asarray(model.predict_on_batch(inputs))
    return np.asarray(model.predict(inputs, batch_size=PREDICT_BATCH, verbose=0))


def conv_layer_names(model, maximum: int = IMAGE_LAYERS_MAX) -> list[str]:
    """Conv layers worth showing as feature maps, shallow to deep, evenly spaced through
    the network and always ending with the last one (the layer Grad-CAM suits)."""
    import keras

    names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if len(names) <= maximum:
        return names
    picks = np.linspace(0, len(names) - 1, maximum).round().astype(int)
    return [names[index] for index in sorted(set(picks))]
