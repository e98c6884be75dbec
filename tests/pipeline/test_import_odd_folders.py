"""A folder name that cannot be a name, or a damaged entry over the size limit, fails those
files only: the import goes on with the rest."""

import zipfile
from pathlib import Path

import pytest

from identities.models import Identity, SourceImage

PHOTOS = sorted((Path(__file__).parents[1] / "fixtures" / "celeba" / "7221").glob("*.jpg"))


def zip_with(archive_path: Path, entries: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(archive_path, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return archive_path


@pytest.mark.parametrize(
    ("folder", "reason"),
    [
        ("x" * 250, f"Folder refused: The name {'x' * 40!r}… is too long (at most 200 characters)."),
        ("Jane\x01Doe", "Folder refused: The name 'Jane\\x01Doe' holds a control character (U+0001)"),
    ],
    ids=["too long", "control character"],
)
def test_a_zip_folder_that_is_no_name_fails_its_files_only(import_faces, tmp_path, folder, reason):
    archive_path = zip_with(
        tmp_path / "people.zip",
        {
            f"{folder}/a.jpg": PHOTOS[0].read_bytes(),
            f"{folder}/b.jpg": PHOTOS[1].read_bytes(),
            "John_Roe/c.jpg": PHOTOS[2].read_bytes(),
        },
    )

    output = import_faces(archive_path)

    assert "1 identities (1 new), 1 new images, 1 faces, 0 duplicates, 0 skipped, 2 failed." in output
    assert f"2 x {reason}" in output
    assert list(Identity.objects.values_list("name", flat=True)) == ["John Roe"]
    assert SourceImage.objects.count() == 1


def test_a_folder_on_disk_with_a_control_character_fails_its_files_only(import_faces, tmp_path):
    root = tmp_path / "people"
    for folder, photo in (("Jane\x7fDoe", PHOTOS[0]), ("John_Roe", PHOTOS[1])):
        (root / folder).mkdir(parents=True)
        (root / folder / photo.name).write_bytes(photo.read_bytes())

    output = import_faces(root)

    assert "1 identities (1 new), 1 new images, 1 faces, 0 duplicates, 0 skipped, 1 failed." in output
    assert "control character (U+007F)" in output
    assert list(Identity.objects.values_list("name", flat=True)) == ["John Roe"]


def test_an_entry_over_the_limit_with_a_bad_crc_is_unreadable_and_the_import_goes_on(
    import_faces, tmp_path, settings
):
    big, small = PHOTOS[0].read_bytes(), PHOTOS[1].read_bytes()
    settings.FACESITE_MAX_IMAGE_BYTES = len(big) - 1
    archive_path = zip_with(tmp_path / "people.zip", {"Jane_Doe/big.jpg": big, "Jane_Doe/small.jpg": small})
    # Damage one byte of the big entry's stored data, so reading it fails its CRC check.
    with zipfile.ZipFile(archive_path) as archive:
        entry = archive.getinfo("Jane_Doe/big.jpg")
        data_start = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
    raw = bytearray(archive_path.read_bytes())
    raw[data_start + 1000] ^= 0xFF
    archive_path.write_bytes(bytes(raw))

    output = import_faces(archive_path)

    assert "1 identities (1 new), 1 new images, 1 faces, 0 duplicates, 0 skipped, 1 failed." in output
    assert "1 x The file could not be read." in output
    assert SourceImage.objects.get().origin_detail.endswith(":Jane_Doe/small.jpg")
