"""An imported multi-picture JPEG (MPO, as phones save) is a JPEG: its first picture is used."""

from pathlib import Path

from identities.models import Face, SourceImage
from tests.factories import multi_picture_jpeg

PHOTO = Path(__file__).parents[1] / "fixtures" / "celeba" / "7221" / "025916.jpg"


def test_a_multi_picture_jpeg_is_imported_as_a_jpeg(person_folder, import_faces):
    (person_folder / "phone.jpg").write_bytes(multi_picture_jpeg(PHOTO))

    output = import_faces(person_folder.parent)

    source = SourceImage.objects.get()
    assert (source.status, source.image_format, source.error) == (SourceImage.Status.FACES, "JPEG", "")
    assert source.file.endswith(".jpg")
    assert (source.width, source.height) == (142, 220)
    assert Face.objects.count() == 1
    assert "1 new images, 1 faces" in output
