import pytest
from django.core.management.base import CommandError

from identities.models import Identity


def test_an_unknown_detector_is_refused_before_anything_is_imported(photo_folder, import_faces):
    with pytest.raises(CommandError, match="Unknown detector 'dlib'; choose one of: haar, mtcnn, none"):
        import_faces(photo_folder, "--detector", "dlib")

    assert not Identity.objects.exists()


def test_a_missing_path_is_refused(tmp_path, import_faces):
    with pytest.raises(CommandError, match="does not exist"):
        import_faces(tmp_path / "nowhere")


def test_a_file_that_is_not_a_zip_is_refused(tmp_path, import_faces):
    not_a_zip = tmp_path / "people.zip"
    not_a_zip.write_text("Jane Doe\n")

    with pytest.raises(CommandError, match="is neither a folder nor a zip archive"):
        import_faces(not_a_zip)


def test_a_folder_of_photos_without_person_folders_says_how_to_lay_it_out(person_folder, import_faces):
    (person_folder / "photo.jpg").write_bytes(b"photo")

    output = import_faces(person_folder)

    assert "0 identities (0 new), 0 new images, 0 faces, 0 duplicates, 1 skipped, 0 failed." in output
    assert "put each person's photos in a folder named after them" in output
