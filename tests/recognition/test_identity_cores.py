"""An identity's core is the unit mean direction of its faces, one per identity in id order;
a face taken out of its own identity is scored against the core of the others."""

import numpy as np
import pytest

from recognition.gallery.index import GalleryMatrix, own_core_scores, rows_matrix


def test_each_identity_gets_the_unit_mean_of_its_own_faces():
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    matrix = GalleryMatrix((), vectors, np.array([4, 4, 9]))
    cores = matrix.cores
    assert cores.shape == (2, 3)
    np.testing.assert_allclose(cores[0], [2**-0.5, 2**-0.5, 0], rtol=1e-6)
    np.testing.assert_allclose(cores[1], [0, 0, 1])


def test_an_empty_gallery_has_no_cores():
    matrix = GalleryMatrix((), np.zeros((0, 512), np.float32), np.zeros(0, np.int64))
    assert matrix.cores.shape == (0, 512)


def test_a_faces_own_core_score_leaves_the_face_out_of_its_identitys_core():
    generator = np.random.default_rng(0)
    vectors = generator.normal(size=(6, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    matrix = GalleryMatrix((), vectors, np.array([1, 1, 1, 2, 2, 3]))

    scores = own_core_scores(matrix, vectors, np.arange(6))

    for row in range(5):
        siblings = [
            other
            for other in range(6)
            if other != row and matrix.identity_ids[other] == matrix.identity_ids[row]
        ]
        core = vectors[siblings].sum(axis=0)
        assert scores[row] == pytest.approx(float(vectors[row] @ core / np.linalg.norm(core)), abs=1e-5)
    # The lone face of identity 3 has no core left to be scored by.
    assert scores[5] == -np.inf


def test_a_copy_extended_with_new_rows_carries_its_cores_over_unchanged():
    generator = np.random.default_rng(1)
    vectors = generator.normal(size=(7, 8)).astype(np.float32)
    rows = [
        (identity, face, vector.tobytes())
        for face, (identity, vector) in enumerate(zip([3, 1, 3, 2, 5, 1, 7], vectors, strict=True))
    ]
    base = rows_matrix(("old",), rows[:4])
    assert base.cores.shape == (3, 8)  # computed, so the extended copy adds to them

    extended = rows_matrix(("new",), rows[4:], base=base)

    assert "sums" in vars(extended)
    np.testing.assert_allclose(extended.cores, rows_matrix(("new",), rows).cores, rtol=1e-6)
