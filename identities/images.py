"""Decoding and checking every image that enters the system."""

import io
import warnings
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps

from facesite.errors import FacesiteError

# Pillow format name -> the file extension images of that format are stored under.
SUPPORTED_FORMATS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "BMP": "bmp",
    "PPM": "pgm",  # Netpbm (the ORL faces are PGM files)
    "TIFF": "tif",
    "GIF": "gif",
}
# Phones save multi-picture JPEGs (MPO: a JPEG with more pictures after it); the first
# picture is the photo, and every JPEG reader shows it, so such a file counts as a JPEG.
FORMAT_ALIASES = {"MPO": "JPEG"}


class ImageRejected(FacesiteError):
    """An image that cannot be used, with the reason a person can act on.

    `kind` names the reason without the file's own numbers, for counting failures.
    """

    KINDS = {
        "empty": "empty file",
        "too_large": "file too large",
        "not_an_image": "not an image",
        "unsupported": "unsupported format",
        "too_many_pixels": "too many pixels",
        "truncated": "truncated or corrupt",
    }

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def kind_label(self) -> str:
        return self.KINDS[self.kind]


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # RGB, EXIF orientation applied
    format: str
    extension: str

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def image_byte_size_check(byte_size: int) -> None:
    """Refuse a file over FACESITE_MAX_IMAGE_BYTES, before anything reads it into memory."""
    max_bytes = settings.FACESITE_MAX_IMAGE_BYTES
    if byte_size > max_bytes:
        raise ImageRejected(
            f"File is too large ({byte_size:,} bytes; the limit is {max_bytes:,}).", "too_large"
        )


def image_decode(data: bytes, *, formats: Collection[str] = tuple(SUPPORTED_FORMATS)) -> DecodedImage:
    """Decode image bytes in one of formats, or raise ImageRejected with a plain reason.

    1. Refuse files over FACESITE_MAX_IMAGE_BYTES before reading them.
    2. Identify the format from the content, never from a name or a header; a
       multi-picture JPEG is a JPEG, of which the first picture is decoded.
    3. Refuse images whose declared size exceeds FACESITE_MAX_IMAGE_PIXELS before
       decoding their pixels (decompression bombs).
    4. Decode fully, so truncated files are caught here and not later.
    5. Apply the EXIF orientation and convert to RGB.
    """
    image_byte_size_check(len(data))
    if not data:
        raise ImageRejected("File is empty.", "empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("Image has too many pixels to decode safely.", "too_many_pixels") from None
    except Exception:
        raise ImageRejected(
            "File is not an image, or its format is not recognised.", "not_an_image"
        ) from None
    image_format = FORMAT_ALIASES.get(image.format, image.format)
    if image_format not in formats:
        accepted = ", ".join(sorted(formats))
        raise ImageRejected(f"Unsupported image format {image.format}; use one of {accepted}.", "unsupported")
    max_pixels = settings.FACESITE_MAX_IMAGE_PIXELS
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"Image is {width}x{height} pixels; the limit is {max_pixels:,} pixels.", "too_many_pixels"
        )
    try:
        image.load()
    except Exception:
        raise ImageRejected("Image data is truncated or corrupt.", "truncated") from None
    oriented = ImageOps.exif_transpose(image).convert("RGB")
    return DecodedImage(oriented, image_format, SUPPORTED_FORMATS[image_format])


def stored_image_rgb(name: str) -> Image.Image:
    """An image the system stored (a face crop, a photo) as RGB, read from the file storage.

    Stored images were decoded and checked on the way in, so no limits apply here; an
    unreadable file raises OSError (UnidentifiedImageError is one).
    """
    from django.core.files.storage import default_storage

    with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
        return image.convert("RGB")
