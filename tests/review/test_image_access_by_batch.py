"""A reviewer fetches the crops and source photos of their batches and its reference faces only."""

import pytest

from identities.models import Face
from tests.conftest import make_user
from tests.factories import make_face, make_identity, make_pending_faces


@pytest.fixture
def faces(grace, db):
    """Grace's pending crops on one photo, one approved reference face, and a stranger's crop."""
    return {
        "pending": make_pending_faces(grace, 3),
        "reference": make_face(grace, status=Face.Status.APPROVED),
        "rejected": make_face(grace, status=Face.Status.REJECTED),
        "stranger": make_pending_faces(make_identity("Alan Turing"), 1)[0],
    }


def status_of(client, face: Face) -> tuple[int, int]:
    """The status codes of the face's crop and of its source photo."""
    crop = client.get(f"/faces/{face.pk}/image/").status_code
    return crop, client.get(f"/sources/{face.source_image_id}/image/").status_code


def test_before_fetching_a_batch_a_reviewer_sees_no_image_an_admin_every_one(reviewer_web, admin, faces):
    every_face = (faces["pending"][0], faces["reference"], faces["rejected"], faces["stranger"])
    for face in every_face:
        assert status_of(reviewer_web, face) == (403, 403)
    reviewer_web.force_login(admin)
    assert {status_of(reviewer_web, face) for face in every_face} == {(200, 200)}


def test_a_batch_opens_its_crops_photos_and_reference_faces_only(reviewer_web, reviewer, grace, faces):
    reviewer_web.post(f"/review/batch/?identity={grace.pk}")
    assert {status_of(reviewer_web, face) for face in faces["pending"]} == {(200, 200)}
    assert reviewer_web.get(f"/faces/{faces['reference'].pk}/image/").status_code == 200
    assert reviewer_web.get(f"/faces/{faces['rejected'].pk}/image/").status_code == 403
    assert status_of(reviewer_web, faces["stranger"]) == (403, 403)
    # A crop voted on leaves the batch but stays on the reviewer's history page.
    face = faces["pending"][0]
    reviewer_web.post(
        "/review/decisions/",
        {"operations": [{"face": face.pk, "action": "approved", "reason": ""}]},
        content_type="application/json",
    )
    history = reviewer_web.get(f"/review/reviewers/{reviewer.pk}/").content.decode()
    assert f"/faces/{face.pk}/image/" in history and status_of(reviewer_web, face) == (200, 200)


def test_another_reviewers_batch_stays_closed(client, grace, faces):
    client.force_login(make_user("rob", "reviewer"))
    client.post(f"/review/batch/?identity={grace.pk}")
    client.force_login(make_user("sam", "reviewer"))
    assert status_of(client, faces["pending"][0]) == (403, 403)
