from identities.models import Face, SourceImage
from tests.factories import jpeg_bytes


def test_a_photo_without_a_face_is_kept_as_no_face(person_folder, import_faces):
    (person_folder / "wall.jpg").write_bytes(jpeg_bytes(400, 300))

    output = import_faces(person_folder.parent)

    source = SourceImage.objects.get()
    assert source.status == SourceImage.Status.NO_FACE
    assert source.error == "No face found by the haar detector."
    assert (source.width, source.height) == (400, 300)
    assert source.file
    assert not Face.objects.exists()
    assert "1 new images, 0 faces" in output
