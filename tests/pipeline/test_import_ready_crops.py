import shutil
from pathlib import Path

from django.core.files.storage import default_storage
from PIL import Image

from identities.models import Face, Identity

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_none_detector_takes_each_ready_crop_as_one_face(tmp_path, import_faces, settings):
    # ORL's layout: a README at the top, one folder of 92x112 crops per subject.
    shutil.copytree(FIXTURES / "orl", tmp_path / "orl")
    (tmp_path / "orl" / "README").write_text("The ORL face database\n")
    settings.FACESITE_MIN_FACE_SIZE = 500

    output = import_faces(tmp_path / "orl", "--detector", "none")

    assert "2 identities (2 new), 2 new images, 2 faces, 0 duplicates, 1 skipped, 0 failed." in output
    assert sorted(Identity.objects.values_list("name", flat=True)) == ["s1", "s2"]
    for face in Face.objects.all():
        # The size rule is for faces found in a photo; a ready crop is kept however small.
        assert face.status == Face.Status.PENDING
        assert face.box == (0, 0, 92, 112)
        assert face.detector == "none"
        with default_storage.open(face.file) as crop_file:
            assert Image.open(crop_file).size == (settings.FACESITE_CROP_SIZE,) * 2
