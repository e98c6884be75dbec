"""Loading the networks a web process needs before its first request asks for them.

The first recognition after a start loads TensorFlow, MTCNN and the FaceNet graph (20.7 s
measured), and the first augmentation preview builds Keras' preprocessing layers (9.7 s).
facesite.warmup runs `models_warm` in a background thread once a web process has started
(FACESITE_WARM_MODELS), so the first person to ask does not wait for them; a request that
comes earlier simply loads what it needs itself, as before.
"""

import numpy as np


def models_warm() -> None:
    """Run each network once on a blank image: the detector uploads use, FaceNet (and dlib
    when the gallery searches with both), and the augmentation layers of the preview."""
    from facesite.tensorflow_runtime import tensorflow_quiet
    from pipeline.augmentation import AugmentationConfig, augmentation_layers
    from pipeline.detection import RECOGNITION_DETECTOR, detector_get
    from recognition.embedders.dlib_resnet import dlib_embedder
    from recognition.embedders.facenet import facenet_embedder
    from recognition.gallery.policy import gallery_searches_fused

    # Keras' layers would otherwise import TensorFlow first, with its start-up chatter.
    tensorflow_quiet()
    blank = np.zeros((160, 160, 3), dtype=np.uint8)
    detector_get(RECOGNITION_DETECTOR).detect(blank)
    facenet_embedder().embed_chips([blank])
    if gallery_searches_fused():
        dlib_embedder().embed_chips([blank[:150, :150]])
    augmentation_layers(AugmentationConfig())(blank[None].astype("float32"), training=True)
