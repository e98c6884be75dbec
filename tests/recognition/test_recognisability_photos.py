"""The identity page's recognisability figure on real photos: two CelebA people, three
photos each, embedded by the gallery job with FaceNet."""

import pytest
from django.urls import reverse

from identities.models import Face
from recognition.gallery.cache import gallery_cache_clear
from recognition.gallery.recognisability import RECOMMENDED_FACES
from recognition.gallery.sync import gallery_sync
from recognition.gallery.thresholds import gallery_threshold
from tests.factories import make_identity
from tests.recognition.gallery_faces import person_crops, stored_face

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_gallery():
    # Each test builds its own gallery; the process's copy of the last one must go.
    gallery_cache_clear()


def enrol(name: str, photos: list[tuple[str, int]]):
    """An identity with approved faces of these (fixture person, photo number) pairs."""
    identity = make_identity(name)
    faces = [
        stored_face(identity, person_crops(person)[number], Face.Status.APPROVED) for person, number in photos
    ]
    return identity, faces


def page_of(web, identity) -> str:
    return web.get(reverse("identity_detail", args=[identity.pk])).content.decode()


def test_each_persons_photos_are_named_by_their_others(admin_web):
    ada, _ = enrol("Ada", [("7221", 0), ("7221", 1), ("7221", 2)])
    bea, _ = enrol("Bea", [("7271", 0), ("7271", 1), ("7271", 2)])
    gallery_sync()

    for identity in (ada, bea):
        page = page_of(admin_web, identity)
        threshold = f"{gallery_threshold():.2f}"
        assert (
            f"<strong>3 of 3</strong> own photos named correctly at the current threshold {threshold}."
            in page
        )
        assert f"Only 3 approved faces: approve at least {RECOMMENDED_FACES} of different photos" in page
        assert "too alike" not in page


def test_a_photo_of_another_person_filed_here_is_named_as_them(admin_web):
    ada, ada_faces = enrol("Ada", [("7221", 0), ("7221", 1), ("7271", 0)])
    bea, _ = enrol("Bea", [("7271", 1), ("7271", 2)])
    gallery_sync()

    page = page_of(admin_web, ada)

    # Bea's photo is named as her; each of Ada's own photos is left with a core half made
    # of Bea's photo, so it is unknown until the misfiled face is rejected.
    assert "<strong>0 of 3</strong> own photos named correctly" in page
    assert "(1 named as someone else, 2 unknown)" in page
    assert "1 of its photos is named as someone else" in page
    assert f'href="{reverse("face_history", args=[ada_faces[2].pk])}"' in page
    assert f'href="{reverse("identity_detail", args=[bea.pk])}">Bea</a>' in page


def test_one_photo_cannot_be_measured(admin_web):
    cy, _ = enrol("Cy", [("7221", 0)])
    enrol("Bea", [("7271", 0), ("7271", 1)])
    gallery_sync()

    page = page_of(admin_web, cy)

    assert "Not measured." in page
    assert "It cannot be measured with 1 approved face" in page
