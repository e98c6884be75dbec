"""The FaceNet embedder on fixture photos: deterministic, unit length, and it tells people apart."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.detection import detector_get
from recognition.embedders.facenet import facenet_embedder

CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


def photo_chip(path: Path) -> np.ndarray:
    image = np.asarray(Image.open(path).convert("RGB"))
    return facenet_embedder().chip(image, main_face(image))


def main_face(image: np.ndarray):
    return max(detector_get("mtcnn").detect(image), key=lambda face: face.width * face.height)


@pytest.fixture(scope="module")
def people() -> dict[str, list[np.ndarray]]:
    """Chips of two photos each of two CelebA people."""
    return {
        person: [photo_chip(path) for path in sorted((CELEBA / person).glob("*.jpg"))[:2]]
        for person in ("7221", "7271")
    }


def test_chip_is_a_160_pixel_rgb_image(people):
    chip = people["7221"][0]
    assert chip.shape == (160, 160, 3)
    assert chip.dtype == np.uint8


def test_same_photo_twice_gives_the_same_unit_vector(people):
    chip = people["7221"][0]
    vectors = facenet_embedder().embed_chips([chip, chip.copy()])
    assert vectors.shape == (2, 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)


def test_a_batch_gives_what_single_faces_give(people):
    chips = people["7221"] + people["7271"]
    batch = facenet_embedder().embed_chips(chips)
    one_by_one = np.concatenate([facenet_embedder().embed_chips([chip]) for chip in chips])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-4)


def test_two_photos_of_one_person_are_closer_than_two_people(people):
    first_a, second_a = facenet_embedder().embed_chips(people["7221"])
    first_b, second_b = facenet_embedder().embed_chips(people["7271"])
    same = min(first_a @ second_a, first_b @ second_b)
    different = max(first_a @ first_b, first_a @ second_b, second_a @ first_b, second_a @ second_b)
    assert same > different + 0.2


def test_stored_crops_embed_like_chips_of_the_same_face():
    from pipeline.cropping import face_crop

    path = sorted((CELEBA / "7221").glob("*.jpg"))[0]
    image = Image.open(path).convert("RGB")
    face = main_face(np.asarray(image))
    stored = np.asarray(face_crop(image, face.box, margin=0.2, size=160))
    from_crop = facenet_embedder().embed_crops([stored])
    from_photo = facenet_embedder().embed_chips([facenet_embedder().chip(np.asarray(image), face)])
    assert from_crop.shape == (1, 512)
    assert float(from_crop[0] @ from_photo[0]) > 0.9


def test_feature_maps_and_filters_for_figures(people):
    embedder = facenet_embedder()
    layers = embedder.feature_map_layers()
    maps = embedder.feature_maps(people["7221"][:1], layers)
    assert list(maps) == layers
    sides = [maps[layer].shape[1] for layer in layers]
    assert sides == sorted(sides, reverse=True)
    assert all(maps[layer].shape[0] == 1 for layer in layers)
    assert embedder.first_layer_filters().shape == (3, 3, 3, 32)


def test_the_mirrored_option_adds_the_mirror_images_embedding(people):
    embedder = facenet_embedder()
    chip = people["7221"][0]
    plain, mirrored_only = embedder.embed_chips([chip, chip[:, ::-1]], mirror=False)
    (both,) = embedder.embed_chips([chip], mirror=True)
    expected = (plain + mirrored_only) / np.linalg.norm(plain + mirrored_only)
    np.testing.assert_allclose(both, expected, atol=1e-5)
