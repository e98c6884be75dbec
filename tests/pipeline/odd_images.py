"""Images of every odd shape and mode, made from a fixture face, for the odd-image tests."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

FACE = Path(__file__).parents[1] / "fixtures" / "celeba" / "7221" / "012125.jpg"


def encoded(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def face() -> Image.Image:
    with Image.open(FACE) as image:
        return image.convert("RGB")


def sixteen_bit_grey() -> Image.Image:
    """The face as a 16-bit greyscale image, its values spread over 0-65535."""
    return Image.fromarray(np.asarray(face().convert("L")).astype(np.uint16) * 257)


def huge() -> Image.Image:
    """The face enlarged to 4,540 x 4,000 pixels, well past every detector's working size."""
    photo = face()
    return photo.resize((photo.width * 20, photo.height * 20), Image.Resampling.BILINEAR).resize((4540, 4000))


# name -> (file name, bytes, whether a face is in it)
ODD_IMAGES = {
    "thin": ("thin.png", lambda: encoded(Image.new("RGB", (1, 2100), (128, 128, 128)), "PNG"), False),
    "flat": ("flat.png", lambda: encoded(Image.new("RGB", (2100, 1), (128, 128, 128)), "PNG"), False),
    "tiny": ("tiny.png", lambda: encoded(Image.new("RGB", (1, 1), (128, 128, 128)), "PNG"), False),
    "huge": ("huge.jpg", lambda: encoded(huge(), "JPEG"), True),
    "grey": ("grey.png", lambda: encoded(face().convert("L"), "PNG"), True),
    "alpha": ("alpha.png", lambda: encoded(face().convert("RGBA"), "PNG"), True),
    "16-bit": ("sixteen.png", lambda: encoded(sixteen_bit_grey(), "PNG"), True),
    "cmyk": ("cmyk.jpg", lambda: encoded(face().convert("CMYK"), "JPEG"), True),
}
