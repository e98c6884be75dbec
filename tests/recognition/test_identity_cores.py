"""An identity's core is the unit mean direction of its faces, one per identity in id order."""

import numpy as np

from recognition.gallery.index import GalleryMatrix, identity_cores


def test_each_identity_gets_the_unit_mean_of_its_own_faces():
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    matrix = GalleryMatrix((), vectors, np.array([4, 4, 9]))
    cores = identity_cores(matrix)
    assert cores.shape == (2, 3)
    np.testing.assert_allclose(cores[0], [2**-0.5, 2**-0.5, 0], rtol=1e-6)
    np.testing.assert_allclose(cores[1], [0, 0, 1])


def test_an_empty_gallery_has_no_cores():
    matrix = GalleryMatrix((), np.zeros((0, 512), np.float32), np.zeros(0, np.int64))
    assert identity_cores(matrix).shape == (0, 512)
