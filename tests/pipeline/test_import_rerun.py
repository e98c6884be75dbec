import zipfile

from identities.models import AuditEvent, Face, Identity, SourceImage


def row_counts() -> dict[str, int]:
    return {
        "identities": Identity.objects.count(),
        "source_images": SourceImage.objects.count(),
        "faces": Face.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def test_importing_a_folder_twice_adds_nothing_the_second_time(photo_folder, import_faces):
    (photo_folder / "John_Roe" / "notes.jpg").write_text("not a photo")
    import_faces(photo_folder)
    counts_after_first_run = row_counts()

    output = import_faces(photo_folder)

    assert "2 identities (0 new), 0 new images, 0 faces, 7 duplicates, 1 skipped, 0 failed." in output
    assert row_counts() == counts_after_first_run
    assert Identity.objects.get(name="Jane Doe").pending_count == 3


def test_a_zip_of_photos_imported_from_a_folder_before_adds_nothing(photo_folder, import_faces, tmp_path):
    import_faces(photo_folder)
    counts_after_folder_import = row_counts()
    archive_path = tmp_path / "people.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for photo in photo_folder.glob("*/*.jpg"):
            archive.write(photo, photo.relative_to(photo_folder))

    output = import_faces(archive_path)

    assert "6 duplicates" in output
    assert row_counts() == counts_after_folder_import


def test_the_same_photo_in_two_identities_is_kept_for_both(photo_folder, import_faces):
    (photo_folder / "John_Roe" / "025916.jpg").write_bytes(
        (photo_folder / "Jane_Doe" / "025916.jpg").read_bytes()
    )

    output = import_faces(photo_folder)

    assert "7 new images" in output
    shared = SourceImage.objects.filter(origin_detail__endswith="025916.jpg")
    assert shared.count() == 2
    assert len({source.file for source in shared}) == 1
