"""What the networks are fed: tf.data pipelines streamed from image files, and face chips
resized into batches."""

import numpy as np


def image_dataset(
    items: list[tuple[str, int, int]],
    *,
    size: int,
    batch_size: int,
    seed: int = 0,
    training: bool = False,
    augment=None,
):
    """A tf.data pipeline of (image batch, label batch) read from (path, label, repeats) items.

    Only paths and labels are held in memory, so memory does not grow with the dataset.
    For training each item appears `repeats` times (the dataset's balancing), the list is
    reshuffled every pass and repeats forever; an epoch is as many batches as the caller
    asks fit() for. `augment` (Keras preprocessing layers) runs on training batches only.
    """
    import tensorflow as tf

    paths = [path for path, _, repeats in items for _ in range(repeats if training else 1)]
    labels = [label for _, label, repeats in items for _ in range(repeats if training else 1)]
    data = tf.data.Dataset.from_tensor_slices((paths, np.array(labels, dtype=np.int32)))
    if training:
        data = data.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True).repeat()
    data = data.map(lambda path, label: (_image_load(path, size), label), num_parallel_calls=tf.data.AUTOTUNE)
    data = data.batch(batch_size)
    if training and augment is not None:
        data = data.map(
            lambda images, label: (augment(images, training=True), label), num_parallel_calls=tf.data.AUTOTUNE
        )
    return data.prefetch(tf.data.AUTOTUNE)


def _image_load(path, size: int):
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.image.resize(tf.cast(image, tf.float32), (size, size), antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0)


def chips_resize(chips: list[np.ndarray], size: int) -> np.ndarray:
    """uint8 RGB face chips of any size as one float32 (N, size, size, 3) batch in [0, 255]."""
    import tensorflow as tf

    resized = [
        tf.image.resize(tf.cast(_rgb(chip), tf.float32), (size, size), antialias=True).numpy()
        for chip in chips
    ]
    return np.clip(np.stack(resized), 0, 255).astype(np.float32)


def _rgb(chip: np.ndarray) -> np.ndarray:
    chip = np.asarray(chip)
    if chip.ndim == 2:
        return np.stack([chip] * 3, axis=-1)
    return chip[..., :3]
