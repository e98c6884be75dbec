import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from identities.models import Face, SourceImage

FIXTURES = Path(__file__).parents[1] / "fixtures"
PHOTO = FIXTURES / "celeba" / "7221" / "025916.jpg"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.open(PHOTO).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "reason", "kind"),
    [
        (b"Name,Age\nJane,41\n", "File is not an image, or its format is not recognised.", "not an image"),
        (PHOTO.read_bytes()[:3000], "Image data is truncated or corrupt.", "truncated or corrupt"),
        (b"", "File is empty.", "empty file"),
    ],
    ids=["not an image", "truncated JPEG", "empty file"],
)
def test_an_unusable_file_is_recorded_with_the_reason(person_folder, import_faces, content, reason, kind):
    bad_file = person_folder / "bad.jpg"
    bad_file.write_bytes(content)

    output = import_faces(person_folder.parent)

    source = SourceImage.objects.get()
    assert source.status == SourceImage.Status.INVALID
    assert source.error == reason
    assert source.file == ""
    assert source.byte_size == len(content)
    assert source.sha256 == hashlib.sha256(content).hexdigest()
    assert source.origin_detail == str(bad_file)
    assert source.identity.name == "Jane Doe"
    assert not Face.objects.exists()
    assert f"0 new images, 0 faces, 0 duplicates, 0 skipped, 1 failed.\n  1 x {kind}" in output


def test_a_png_named_jpg_is_imported_as_a_png(person_folder, import_faces):
    (person_folder / "photo.jpg").write_bytes(png_bytes())

    output = import_faces(person_folder.parent)

    source = SourceImage.objects.get()
    assert (source.status, source.image_format) == (SourceImage.Status.FACES, "PNG")
    assert source.file.endswith(".png")
    assert "1 new images, 1 faces" in output


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(person_folder, import_faces, settings):
    settings.FACESITE_MAX_IMAGE_PIXELS = 10_000
    (person_folder / "large.jpg").write_bytes(PHOTO.read_bytes())

    import_faces(person_folder.parent)

    source = SourceImage.objects.get()
    assert source.status == SourceImage.Status.INVALID
    assert source.error == "Image is 142x220 pixels; the limit is 10,000 pixels."
    assert (source.width, source.height) == (None, None)


def test_a_file_over_the_byte_limit_is_refused_without_being_decoded(person_folder, import_faces, settings):
    settings.FACESITE_MAX_IMAGE_BYTES = 5000
    content = PHOTO.read_bytes()
    (person_folder / "large.jpg").write_bytes(content)

    import_faces(person_folder.parent)

    source = SourceImage.objects.get()
    assert source.status == SourceImage.Status.INVALID
    assert source.error == f"File is too large ({len(content):,} bytes; the limit is 5,000)."
    assert source.sha256 == hashlib.sha256(content).hexdigest()


def test_bad_files_do_not_stop_the_good_ones(photo_folder, import_faces):
    (photo_folder / "Jane_Doe" / "000.jpg").write_bytes(b"")
    (photo_folder / "Jane_Doe" / "001.jpg").write_bytes(b"<html>Not found</html>")

    output = import_faces(photo_folder)

    assert "6 new images, 6 faces, 0 duplicates, 1 skipped, 2 failed." in output
    assert SourceImage.objects.filter(status=SourceImage.Status.INVALID).count() == 2
