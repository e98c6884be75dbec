from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.cropping import difference_hash, face_crop

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_crop_is_a_square_of_the_box_and_its_margin_resized():
    # A 100x100 picture whose left half is red and right half blue; the box is the
    # 20x20 square in the middle, so with a 0.5 margin the crop covers 40x40 pixels.
    pixels = np.zeros((100, 100, 3), dtype=np.uint8)
    pixels[:, :50] = (255, 0, 0)
    pixels[:, 50:] = (0, 0, 255)

    crop = face_crop(Image.fromarray(pixels), (40, 40, 20, 20), margin=0.5, size=80)

    assert crop.size == (80, 80)
    cropped = np.asarray(crop)
    assert tuple(cropped[40, 5]) == (255, 0, 0)
    assert tuple(cropped[40, 75]) == (0, 0, 255)


def test_a_crop_leaving_the_image_repeats_the_edge_pixels_instead_of_adding_black():
    pixels = np.full((60, 60, 3), (10, 200, 30), dtype=np.uint8)
    pixels[0, :] = (250, 250, 250)  # a white top row, to be repeated upwards

    crop = np.asarray(face_crop(Image.fromarray(pixels), (0, 0, 40, 40), margin=0.25, size=60))

    # The square runs 10 pixels past the top and left edges.
    assert tuple(crop[0, 30]) == (250, 250, 250)
    assert tuple(crop[30, 0]) == (10, 200, 30)
    assert crop.min(axis=(0, 1)).tolist() == [10, 200, 30]


def test_a_tall_box_gives_a_square_crop_of_its_longer_side():
    image = Image.open(FIXTURES / "orl" / "s1" / "1.pgm")

    crop = face_crop(image, (0, 0, 92, 112), margin=0.0, size=160)

    assert crop.size == (160, 160)
    assert crop.mode == "RGB"


def test_difference_hash_fits_a_signed_bigint_and_ignores_size_and_compression():
    photo = Image.open(FIXTURES / "celeba" / "7221" / "025916.jpg")
    other_photo = Image.open(FIXTURES / "celeba" / "7271" / "130146.jpg")

    photo_hash = difference_hash(photo)
    resized_hash = difference_hash(photo.resize((photo.width // 2, photo.height // 2)))
    other_hash = difference_hash(other_photo)

    assert -(2**63) <= photo_hash < 2**63
    assert bin((photo_hash ^ resized_hash) & (2**64 - 1)).count("1") <= 4
    assert bin((photo_hash ^ other_hash) & (2**64 - 1)).count("1") > 10


def test_difference_hash_sets_the_top_bit_as_a_negative_number():
    # Brightness falling from left to right sets every bit: all 64 ones is -1 when signed.
    ramp = np.tile(np.linspace(255, 0, 90).astype(np.uint8), (80, 1))

    assert difference_hash(Image.fromarray(ramp)) == -1
