from identities.models import Identity, SourceImage


def test_linked_identity_folders_are_followed_once(photo_folder, import_faces, tmp_path):
    """People often gather identity folders with symlinks; a link loop must not hang the import."""
    gathered = tmp_path / "gathered"
    gathered.mkdir()
    (gathered / "Jane_Doe").symlink_to(photo_folder / "Jane_Doe", target_is_directory=True)
    (gathered / "Jane_Doe" / "loop").symlink_to(gathered, target_is_directory=True)

    import_faces(gathered)

    assert list(Identity.objects.values_list("name", flat=True)) == ["Jane Doe"]
    assert SourceImage.objects.count() == 3
