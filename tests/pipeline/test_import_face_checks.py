from pathlib import Path

from PIL import Image

from identities.models import Face, Identity

FIXTURES = Path(__file__).parents[1] / "fixtures" / "celeba"


def test_faces_smaller_than_the_minimum_are_rejected_as_too_small(photo_folder, import_faces, settings):
    # The fixture faces are 85 to 155 pixels wide.
    settings.FACESITE_MIN_FACE_SIZE = 120

    import_faces(photo_folder)

    too_small = Face.objects.filter(status=Face.Status.REJECTED, reason=Face.Reason.TOO_SMALL)
    assert too_small.exists()
    assert all(face.box_width < 120 and face.decided_at for face in too_small)
    assert all(face.box_width >= 120 for face in Face.objects.filter(status=Face.Status.PENDING))
    jane = Identity.objects.get(name="Jane Doe")
    assert jane.rejected_count == jane.faces.filter(status=Face.Status.REJECTED).count()


def test_faces_in_a_photo_of_two_people_are_marked_as_a_group_photo(person_folder, import_faces):
    left = Image.open(FIXTURES / "7221" / "025916.jpg")
    right = Image.open(FIXTURES / "7271" / "130146.jpg")
    together = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    together.paste(left, (0, 0))
    together.paste(right, (left.width, 0))
    together.save(person_folder / "together.jpg", quality=95)

    import_faces(person_folder.parent)

    faces = Face.objects.order_by("box_left")
    assert faces.count() == 2
    assert all(face.in_group_photo for face in faces)
    assert faces[0].box_left < left.width <= faces[1].box_left
