import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from identities.models import Face
from pipeline.cropping import hamming_distances

FIXTURES = Path(__file__).parents[1] / "fixtures" / "celeba"
PHOTO = FIXTURES / "7221" / "025916.jpg"
OTHER_PHOTO_OF_THE_SAME_PERSON = FIXTURES / "7221" / "039709.jpg"


def resized_copy(source: Path, destination: Path) -> None:
    """A copy with other bytes, as another site would serve it: enlarged and re-encoded."""
    photo = Image.open(source)
    photo.resize((round(photo.width * 1.25), round(photo.height * 1.25)), Image.Resampling.BICUBIC).save(
        destination, quality=80
    )


def test_a_resized_copy_of_a_stored_photo_is_rejected_as_a_duplicate(person_folder, import_faces):
    shutil.copy(PHOTO, person_folder)
    import_faces(person_folder.parent)
    shutil.rmtree(person_folder)
    person_folder.mkdir()
    resized_copy(PHOTO, person_folder / "copy.jpg")

    output = import_faces(person_folder.parent)

    # A new image (its SHA-256 differs), whose face is not sent to review.
    assert "1 new images, 1 faces, 0 duplicates" in output
    assert "1 of the faces were near-duplicates" in output
    original, copy = Face.objects.order_by("pk")
    assert original.status == Face.Status.PENDING
    assert copy.status == Face.Status.REJECTED
    assert copy.reason == Face.Reason.DUPLICATE
    assert copy.decided_at is not None


def test_a_different_photo_of_the_same_person_stays_pending(person_folder, import_faces):
    shutil.copy(PHOTO, person_folder)
    import_faces(person_folder.parent)
    shutil.copy(OTHER_PHOTO_OF_THE_SAME_PERSON, person_folder)

    import_faces(person_folder.parent)

    assert Face.objects.count() == 2
    assert set(Face.objects.values_list("status", flat=True)) == {Face.Status.PENDING}


def test_a_copy_filed_under_another_identity_is_not_its_duplicate(tmp_path, import_faces):
    (tmp_path / "import" / "Jane_Doe").mkdir(parents=True)
    (tmp_path / "import" / "John_Roe").mkdir()
    shutil.copy(PHOTO, tmp_path / "import" / "Jane_Doe")
    resized_copy(PHOTO, tmp_path / "import" / "John_Roe" / "copy.jpg")

    import_faces(tmp_path / "import")

    assert set(Face.objects.values_list("status", flat=True)) == {Face.Status.PENDING}


def test_the_duplicate_distance_is_a_setting(person_folder, import_faces, settings):
    settings.FACESITE_DUPLICATE_HASH_DISTANCE = -1
    shutil.copy(PHOTO, person_folder)
    resized_copy(PHOTO, person_folder / "copy.jpg")

    import_faces(person_folder.parent)

    assert set(Face.objects.values_list("status", flat=True)) == {Face.Status.PENDING}


def test_hamming_distances_count_differing_bits_of_signed_hashes():
    hashes = np.array([0, -1, 1, -(2**63), 2**63 - 1], dtype=np.int64)

    assert hamming_distances(hashes, 0).tolist() == [0, 64, 1, 1, 63]
    assert hamming_distances(hashes, -1).tolist() == [64, 0, 63, 63, 1]
