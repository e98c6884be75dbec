"""Square face crops, and the difference hash that finds near-identical ones."""

import math

import numpy as np
from django.conf import settings
from PIL import Image

from pipeline.detection import DetectedFace


def face_crop(image: Image.Image, box: tuple[int, int, int, int], margin: float, size: int) -> Image.Image:
    """A size x size crop centred on a face box, with a margin around it.

    1. Take a square centred on the box, its side max(width, height) * (1 + 2 * margin),
       so every crop shows the face at the same scale whatever the box's shape.
    2. Cut out the part of the square that lies inside the image.
    3. Where the square leaves the image, repeat the edge pixels: a black border would
       teach a model that faces near a photo's edge come with black bars.
    4. Resize to size x size.
    """
    left, top, width, height = box
    side = max(1, round(max(width, height) * (1 + 2 * margin)))
    square_left = round(left + width / 2 - side / 2)
    square_top = round(top + height / 2 - side / 2)
    inside_left, inside_top = max(0, square_left), max(0, square_top)
    inside_right = min(image.width, square_left + side)
    inside_bottom = min(image.height, square_top + side)
    pixels = np.asarray(image.convert("RGB").crop((inside_left, inside_top, inside_right, inside_bottom)))
    padding = (
        (inside_top - square_top, square_top + side - inside_bottom),
        (inside_left - square_left, square_left + side - inside_right),
        (0, 0),
    )
    square = Image.fromarray(np.pad(pixels, padding, mode="edge"))
    return square.resize((size, size), Image.Resampling.LANCZOS)


def face_crop_level(
    image: Image.Image,
    box: tuple[int, int, int, int],
    eyes: tuple[tuple[float, float], tuple[float, float]],
    margin: float,
    size: int,
) -> Image.Image:
    """A face crop as face_crop() cuts it, turned about its centre so the eyes are level.

    Only a rotation: a warp of five landmarks onto a template made FaceNet worse, since
    it was trained on box crops (see shared/DESIGN.md).

    1. Cut a square 1.5 times the final side around the face, with face_crop(), so the
       corners a rotation brings in are photo (or repeated edge pixels), never black.
    2. Rotate it about its centre by the angle of the line from the image-left eye to
       the image-right eye.
    3. Cut the final square out of its middle and resize it to size x size.
    """
    (left_eye_x, left_eye_y), (right_eye_x, right_eye_y) = eyes
    angle = math.degrees(math.atan2(right_eye_y - left_eye_y, right_eye_x - left_eye_x))
    face_side = max(box[2], box[3])
    side = face_side * (1 + 2 * margin)
    wide_side = max(1, round(side * 1.5))
    wide = face_crop(image, box, margin=(wide_side / face_side - 1) / 2, size=wide_side)
    # PIL turns counter-clockwise for a positive angle; with y pointing down, that lifts
    # a right eye that sits lower than the left one.
    level = wide.rotate(angle, resample=Image.Resampling.BICUBIC)
    inset = (wide_side - side) / 2
    middle = level.crop((round(inset), round(inset), round(inset + side), round(inset + side)))
    return middle.resize((size, size), Image.Resampling.LANCZOS)


def face_crop_stored(image: Image.Image, detected: DetectedFace, locates_faces: bool = True) -> Image.Image:
    """A face cut exactly as stored crops are cut (the one cut the importer makes).

    FACESITE_CROP_MARGIN around the box (none for a detector that takes the whole image
    as the face: there is nothing around it to add), FACESITE_CROP_SIZE pixels square,
    and turned so the eyes are level when FACESITE_CROP_ALIGN_EYES is on and the
    detector found them. A model trained on stored crops must be shown faces cut by
    this function, or it sees them at another scale and aspect than it learned.
    """
    margin = settings.FACESITE_CROP_MARGIN if locates_faces else 0.0
    size = settings.FACESITE_CROP_SIZE
    landmarks = detected.landmarks or {}
    if settings.FACESITE_CROP_ALIGN_EYES and "left_eye" in landmarks and "right_eye" in landmarks:
        eyes = (landmarks["left_eye"], landmarks["right_eye"])
        return face_crop_level(image, detected.box, eyes, margin=margin, size=size)
    return face_crop(image, detected.box, margin=margin, size=size)


def difference_hash(image: Image.Image) -> int:
    """The 64-bit difference hash (dHash) of an image, as a signed 64-bit integer.

    1. Shrink to 9x8 grey pixels, which keeps the coarse shape and drops detail,
       compression noise and small shifts.
    2. Set one bit per pixel pair in each row: 1 where the left pixel is brighter.
    3. Read the 64 bits as a two's-complement number, so the value fits a signed
       BIGINT column; near-identical images differ in few bits.
    """
    grey = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    bits = (grey[:, :-1] > grey[:, 1:]).flatten()
    unsigned = int("".join("1" if bit else "0" for bit in bits), 2)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hamming_distances(hashes: np.ndarray, phash: int) -> np.ndarray:
    """How many bits of phash differ from each of hashes (signed 64-bit difference hashes).

    One vectorised XOR and popcount, so checking a new face against the thousands of
    faces an identity may have stays well under a millisecond. The XOR is read as
    unsigned because np.bitwise_count counts the bits of a negative number's absolute value.
    """
    return np.bitwise_count((np.asarray(hashes, dtype=np.int64) ^ np.int64(phash)).view(np.uint64))
