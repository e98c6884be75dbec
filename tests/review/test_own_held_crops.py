"""Crops a reviewer holds come back to them: after leaving the page, and before new crops."""

import pytest

from facesite import roles
from identities.models import ReviewLease
from tests.conftest import make_user
from tests.factories import make_identity, make_pending_faces


@pytest.fixture
def all_roles_web(client, db):
    """The account `make run` creates: every role."""
    client.force_login(make_user("admin", roles.ADMIN, roles.REVIEWER, roles.UPLOADER))
    return client


def face_ids(html: str) -> list[int]:
    return [int(part.split('"')[0]) for part in html.split('data-face-id="')[1:]]


def test_coming_back_within_the_lease_shows_the_held_crops(reviewer_web, grace, pending_faces):
    claimed = face_ids(reviewer_web.post("/review/batch/").content.decode())
    # The page opened again: what it shows first, then Enter for the next batch.
    assert face_ids(reviewer_web.get("/review/batch/").content.decode()) == claimed
    html = reviewer_web.post("/review/batch/").content.decode()
    assert face_ids(html) == claimed and "Nothing left" not in html


def test_held_crops_come_before_another_identitys(all_roles_web):
    """An admin holds one identity's crops, then a face of another waits: the held come first."""
    first = make_identity("Ada Lovelace")
    held = make_pending_faces(first, 2)
    all_roles_web.post("/review/batch/")
    later = make_identity("Alan Turing")
    make_pending_faces(later, 1)
    assert face_ids(all_roles_web.post("/review/batch/").content.decode()) == [face.pk for face in held]
    assert ReviewLease.objects.count() == 2


def test_opening_the_review_page_takes_nothing(all_roles_web, pending_faces):
    assert all_roles_web.get("/review/").status_code == 200
    all_roles_web.get("/review/batch/")
    assert not ReviewLease.objects.exists()
