from django.core.files.storage import default_storage
from PIL import Image

from identities.models import AuditEvent, Face, Identity, SourceImage


def test_folder_import_creates_identities_photos_and_faces(photo_folder, import_faces):
    output = import_faces(photo_folder)

    assert "2 identities (2 new), 6 new images, 6 faces, 0 duplicates, 1 skipped, 0 failed." in output
    assert sorted(Identity.objects.values_list("name", flat=True)) == ["Jane Doe", "John Roe"]
    jane = Identity.objects.get(name="Jane Doe")
    assert jane.source_images.count() == 3
    assert jane.faces.count() == 3
    assert jane.pending_count == 3
    assert AuditEvent.objects.filter(action="identity.create", actor=None).count() == 2


def test_photos_are_stored_with_their_origin_and_size(photo_folder, import_faces):
    import_faces(photo_folder)

    photo_path = photo_folder / "Jane_Doe" / "025916.jpg"
    source = SourceImage.objects.get(origin_detail=str(photo_path))
    assert source.status == SourceImage.Status.FACES
    assert source.origin == SourceImage.Origin.FILE
    assert (source.width, source.height, source.image_format) == (142, 220, "JPEG")
    assert source.byte_size == photo_path.stat().st_size
    with default_storage.open(source.file) as stored:
        assert stored.read() == photo_path.read_bytes()


def test_each_face_has_a_crop_file_and_its_box(photo_folder, import_faces, settings):
    import_faces(photo_folder)

    for face in Face.objects.all():
        assert face.status == Face.Status.PENDING
        assert face.detector == "haar"
        assert not face.in_group_photo
        source = face.source_image
        assert face.box_left + face.box_width <= source.width
        assert face.box_top + face.box_height <= source.height
        with default_storage.open(face.file) as crop_file:
            crop = Image.open(crop_file)
            assert (crop.format, crop.size) == ("JPEG", (settings.FACESITE_CROP_SIZE,) * 2)


def test_hidden_files_and_files_at_the_top_are_skipped(photo_folder, import_faces):
    (photo_folder / "Jane_Doe" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (photo_folder / ".thumbnails" / "Jane_Doe").mkdir(parents=True)
    (photo_folder / ".thumbnails" / "Jane_Doe" / "025916.jpg").write_bytes(b"thumbnail")
    (photo_folder / "loose.jpg").write_bytes((photo_folder / "Jane_Doe" / "025916.jpg").read_bytes())

    output = import_faces(photo_folder)

    assert "6 new images" in output
    assert "4 skipped" in output
    assert SourceImage.objects.count() == 6


def test_photos_of_one_person_in_two_folders_spelled_differently_go_to_one_identity(
    photo_folder, import_faces
):
    (photo_folder / "Jane_Doe" / "012125.jpg").rename(photo_folder / "012125.jpg")
    (photo_folder / "jane doe").mkdir()
    (photo_folder / "012125.jpg").rename(photo_folder / "jane doe" / "012125.jpg")

    output = import_faces(photo_folder)

    assert "2 identities (2 new)" in output
    assert Identity.objects.get(name="Jane Doe").source_images.count() == 3
