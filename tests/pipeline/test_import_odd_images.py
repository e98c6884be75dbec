"""A zip of thin, tiny, huge, grey, alpha, 16-bit and CMYK photos imports with every detector:
each photo gets its faces or "no face", and the import goes on to the end."""

import zipfile

import pytest

from identities.models import SourceImage
from tests.pipeline.odd_images import ODD_IMAGES


@pytest.fixture
def odd_zip(tmp_path):
    archive_path = tmp_path / "odd.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for file_name, make, _ in ODD_IMAGES.values():
            archive.writestr(f"Jane_Doe/{file_name}", make())
    return archive_path


def statuses(archive_path) -> dict[str, str]:
    return {
        name: SourceImage.objects.get(origin_detail=f"{archive_path}:Jane_Doe/{file_name}").status
        for name, (file_name, _, _) in ODD_IMAGES.items()
    }


@pytest.mark.parametrize("detector", ["haar", "mtcnn", "yunet"])
def test_every_odd_photo_gets_its_faces_or_no_face(odd_zip, import_faces, detector):
    output = import_faces(odd_zip, "--detector", detector)

    assert f"{len(ODD_IMAGES)} new images" in output and "0 failed" in output
    expected = {
        name: SourceImage.Status.FACES if has_face else SourceImage.Status.NO_FACE
        for name, (_, _, has_face) in ODD_IMAGES.items()
    }
    assert statuses(odd_zip) == expected
