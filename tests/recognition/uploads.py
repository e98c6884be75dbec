"""Photos for the upload, verification and API tests, made from the fixture faces."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).parents[1] / "fixtures"
# Two photos of one person and one of another (CelebA identities 7221 and 7271).
JANE = FIXTURES / "celeba" / "7221" / "012125.jpg"
JANE_AGAIN = FIXTURES / "celeba" / "7221" / "025916.jpg"
JOHN = FIXTURES / "celeba" / "7271" / "001053.jpg"


def encoded(image: Image.Image, image_format: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def photo(path: Path = JANE, image_format: str = "JPEG") -> bytes:
    with Image.open(path) as image:
        return encoded(image.convert("RGB"), image_format)


def group_photo(*paths: Path) -> bytes:
    """The photos pasted side by side on a grey background: a group photo of their faces."""
    images = [Image.open(path).convert("RGB") for path in paths or (JANE, JOHN)]
    width = sum(image.width for image in images) + 40 * (len(images) + 1)
    canvas = Image.new("RGB", (width, max(image.height for image in images) + 80), (128, 128, 128))
    left = 40
    for image in images:
        canvas.paste(image, (left, 40))
        left += image.width + 40
    return encoded(canvas)


def faceless_photo() -> bytes:
    """A real JPEG with no face in it: smooth noise."""
    noise = np.random.default_rng(seed=3).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    return encoded(Image.fromarray(noise))


def bearer(user) -> dict:
    """Request headers carrying a new API token of user's."""
    from recognition.tokens import token_create

    _, key = token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)
