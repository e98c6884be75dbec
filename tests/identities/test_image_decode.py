import io

import pytest
from PIL import Image

from identities.images import ImageRejected, image_decode


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    data = encoded(Image.new("RGB", (40, 20), "red"), "JPEG", exif=exif)
    decoded = image_decode(data)
    assert (decoded.width, decoded.height) == (20, 40)
    assert decoded.format == "JPEG" and decoded.extension == "jpg"


def test_format_comes_from_the_content_not_the_name():
    decoded = image_decode(encoded(Image.new("L", (8, 8)), "PNG"))
    assert decoded.extension == "png"
    assert decoded.image.mode == "RGB"


@pytest.mark.parametrize(
    ("data", "reason", "kind"),
    [
        (b"", "empty", "empty"),
        (b"%PDF-1.4 not a photo", "not an image", "not_an_image"),
        (encoded(Image.effect_noise((128, 128), 60).convert("RGB"), "JPEG")[:3000], "truncated", "truncated"),
        (encoded(Image.new("RGB", (8, 8)), "ICO"), "Unsupported image format", "unsupported"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, reason, kind):
    with pytest.raises(ImageRejected, match=reason) as rejection:
        image_decode(data)
    assert rejection.value.kind == kind


def test_limits_come_from_settings(settings):
    data = encoded(Image.new("RGB", (100, 100)), "PNG")
    settings.FACESITE_MAX_IMAGE_PIXELS = 9_999
    with pytest.raises(ImageRejected, match="limit is 9,999 pixels") as rejection:
        image_decode(data)
    assert rejection.value.kind_label == "too many pixels"
    settings.FACESITE_MAX_IMAGE_BYTES = 10
    with pytest.raises(ImageRejected, match="too large"):
        image_decode(data)
