"""dlib's face recognition ResNet run by TensorFlow from dlib's weights file: the same
descriptors as dlib's own code on real fixture faces, any batch size, and a file that is
not that network refused with a clear error."""

from functools import cache

import numpy as np
import pytest
from PIL import Image

from recognition.embedders.dlib_resnet import dlib_embedder, models_dir
from recognition.ml.dlib_network import DlibFileError, DlibNetwork, weights_check, weights_read
from recognition.services.uploads import photo_faces
from tests.recognition.gallery_faces import FIXTURES

WEIGHTS = "dlib_face_recognition_resnet_model_v1.dat"


@cache
def fixture_chips() -> np.ndarray:
    """dlib's aligned chips of the faces in five fixture photos of two people."""
    embedder = dlib_embedder()
    chips = []
    for path in sorted((FIXTURES / "celeba").glob("*/*.jpg"))[:5]:
        pixels = np.asarray(Image.open(path).convert("RGB"))
        chips.append(embedder.chip(pixels, photo_faces(pixels)[0]))
    return np.stack(chips)


def test_tensorflow_gives_dlibs_own_descriptors():
    import dlib

    chips = fixture_chips()
    theirs = np.array(
        dlib.face_recognition_model_v1(str(models_dir() / WEIGHTS)).compute_face_descriptor(list(chips))
    )
    ours = DlibNetwork(models_dir() / WEIGHTS).descriptors(chips)

    assert ours.shape == (len(chips), 128)
    # float32 sums in another order: the descriptors agree to about 1e-6 of their size.
    assert np.abs(ours - theirs).max() < 1e-4 * np.abs(theirs).max()


def test_batches_of_any_size_give_the_same_descriptors(monkeypatch):
    network = DlibNetwork(models_dir() / WEIGHTS)
    chips = fixture_chips()
    together = network.descriptors(chips)
    monkeypatch.setattr("recognition.ml.dlib_network.BATCH_SIZE", 2)

    assert np.allclose(network.descriptors(chips), together, atol=1e-5)
    assert np.allclose(network.descriptors(chips[:1]), together[:1], atol=1e-5)
    assert network.descriptors(chips[:0]).shape == (0, 128)


def test_the_weights_file_is_read_as_the_network_it_holds():
    weights = weights_read(models_dir() / WEIGHTS)
    weights_check(weights)

    assert np.allclose(weights.means, [122.782, 117.001, 104.298], atol=1e-3)
    first = weights.layers[0][1]
    assert first.filters.shape == (7, 7, 3, 32) and first.stride == 2 and first.padding == 0


def test_another_networks_file_is_refused(tmp_path):
    other = models_dir() / "shape_predictor_5_face_landmarks.dat"
    with pytest.raises(DlibFileError):
        DlibNetwork(other).descriptors(fixture_chips()[:1])

    cut = tmp_path / "cut.dat"
    cut.write_bytes((models_dir() / WEIGHTS).read_bytes()[:1_000_000])
    with pytest.raises(DlibFileError):
        weights_read(cut)
