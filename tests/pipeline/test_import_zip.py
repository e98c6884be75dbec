import zipfile

from django.core.files.storage import default_storage

from identities.models import Face, Identity, SourceImage


def zip_of_folder(folder, archive_path, wrapper: str = "") -> None:
    """Zip every file under a folder, each name under `wrapper/` when given."""
    with zipfile.ZipFile(archive_path, "w") as archive:
        for file_path in sorted(folder.rglob("*")):
            if file_path.is_file():
                archive.write(file_path, f"{wrapper}{file_path.relative_to(folder)}")


def test_zip_import_creates_the_same_as_a_folder_import(photo_folder, import_faces, tmp_path):
    archive_path = tmp_path / "people.zip"
    zip_of_folder(photo_folder, archive_path)

    output = import_faces(archive_path)

    assert "2 identities (2 new), 6 new images, 6 faces, 0 duplicates, 1 skipped, 0 failed." in output
    assert sorted(Identity.objects.values_list("name", flat=True)) == ["Jane Doe", "John Roe"]
    source = SourceImage.objects.get(origin_detail=f"{archive_path}:Jane_Doe/025916.jpg")
    assert source.status == SourceImage.Status.FACES
    for face in Face.objects.all():
        assert default_storage.exists(face.file)
        assert default_storage.exists(face.source_image.file)


def test_a_zip_wrapping_everything_in_one_folder_is_read_inside_it(photo_folder, import_faces, tmp_path):
    archive_path = tmp_path / "people.zip"
    zip_of_folder(photo_folder, archive_path, wrapper="people/")
    with zipfile.ZipFile(archive_path, "a") as archive:
        archive.writestr("__MACOSX/people/Jane_Doe/._025916.jpg", b"resource fork")

    output = import_faces(archive_path)

    # The README inside people/ is a top-level file, not a photo of someone named "people".
    assert "2 identities (2 new), 6 new images, 6 faces, 0 duplicates, 2 skipped, 0 failed." in output
    assert not Identity.objects.filter(name__iexact="people").exists()
    assert SourceImage.objects.filter(origin_detail=f"{archive_path}:people/John_Roe/130146.jpg").exists()


def test_a_zip_of_one_person_folder_imports_that_person(photo_folder, import_faces, tmp_path):
    archive_path = tmp_path / "jane.zip"
    zip_of_folder(photo_folder / "Jane_Doe", archive_path, wrapper="Jane_Doe/")

    output = import_faces(archive_path)

    assert "1 identities (1 new), 3 new images" in output
    assert Identity.objects.get().name == "Jane Doe"


def test_zip_entries_over_the_byte_limit_are_refused_by_their_declared_size(
    photo_folder, import_faces, tmp_path, settings
):
    settings.FACESITE_MAX_IMAGE_BYTES = 1000
    archive_path = tmp_path / "people.zip"
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # Compresses to a few dozen bytes but declares a million: a small zip bomb.
        archive.writestr("Jane_Doe/bomb.jpg", b"\0" * 1_000_000)

    output = import_faces(archive_path)

    source = SourceImage.objects.get()
    assert source.status == SourceImage.Status.INVALID
    assert source.byte_size == 1_000_000
    assert source.error == "File is too large (1,000,000 bytes; the limit is 1,000)."
    assert "1 x file too large" in output


def test_a_damaged_zip_entry_is_counted_as_unreadable_and_the_rest_imported(
    photo_folder, import_faces, tmp_path
):
    archive_path = tmp_path / "people.zip"
    marker = b"DAMAGE-ME-" * 20
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("Jane_Doe/damaged.jpg", marker)
        archive.write(photo_folder / "John_Roe" / "130146.jpg", "John_Roe/130146.jpg")
    # Change the stored bytes of the first entry, so its checksum no longer matches.
    archive_path.write_bytes(archive_path.read_bytes().replace(marker, marker.lower(), 1))

    output = import_faces(archive_path)

    assert "1 new images, 1 faces, 0 duplicates, 0 skipped, 1 failed." in output
    assert "1 x The file could not be read." in output
    assert not SourceImage.objects.filter(origin_detail__endswith="damaged.jpg").exists()
