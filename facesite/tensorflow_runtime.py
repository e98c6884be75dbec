"""TensorFlow's process settings that the detectors (pipeline) and the networks (recognition)
share: quiet start-up logs and the number of cores to use."""

import logging
import os


def tensorflow_quiet() -> None:
    """Keep TensorFlow's start-up chatter (CPU features, oneDNN, CUDA probing) out of the logs.

    Its C++ logging reads TF_CPP_MIN_LOG_LEVEL when TensorFlow is first imported; a value
    set by the user wins.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)


def cpu_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
