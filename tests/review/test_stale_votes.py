"""A vote whose lease ran out, on a face others decided meanwhile, is refused with a message."""

import pytest

from identities.models import Face
from identities.review_services import review_batch_claim, review_vote_record


@pytest.fixture
def decided_meanwhile(reviewer, rob, sam, pending_faces, clock):
    """Rita's lease ran out; Rob and Sam then got the face and rejected it."""
    face = pending_faces[0]
    review_batch_claim(reviewer=reviewer, size=1, now=clock.now)
    later = clock.after(400)
    assert face in review_batch_claim(reviewer=rob, size=1, now=later).faces
    assert face in review_batch_claim(reviewer=sam, size=1, now=later).faces
    for person in (rob, sam):
        review_vote_record(
            reviewer=person, face_id=face.pk, decision="rejected", reason="not_a_face", now=later
        )
    return face


def test_the_late_vote_is_refused_and_the_status_stands(reviewer, decided_meanwhile, clock):
    face = decided_meanwhile
    outcome = review_vote_record(
        reviewer=reviewer, face_id=face.pk, decision="approved", now=clock.after(500)
    )
    assert not outcome.saved
    assert outcome.status == "rejected"
    assert outcome.message == (
        f"Face {face.pk} was already rejected while you were deciding; your vote was not recorded."
    )
    face.refresh_from_db()
    assert (face.status, face.reason, face.votes.count()) == ("rejected", "not_a_face", 2)
    assert not face.leases.exists()


def test_the_late_vote_through_the_page_gets_the_message(reviewer_web, decided_meanwhile):
    face = decided_meanwhile
    response = reviewer_web.post(
        "/review/decisions/",
        {"operations": [{"face": face.pk, "action": "approved", "reason": ""}]},
        content_type="application/json",
    )
    [result] = response.json()["results"]
    assert result["saved"] is False and "already rejected" in result["message"]
    assert Face.objects.get(pk=face.pk).status == "rejected"


def test_a_late_vote_on_a_face_still_pending_counts(reviewer, rob, pending_faces, clock):
    face = pending_faces[0]
    review_batch_claim(reviewer=reviewer, size=1, now=clock.now)
    outcome = review_vote_record(
        reviewer=reviewer, face_id=face.pk, decision="approved", now=clock.after(900)
    )
    assert outcome.saved
    assert face.votes.get().reviewer == reviewer


def test_a_vote_on_a_deleted_face_is_refused(reviewer, pending_faces):
    face_id = pending_faces[0].pk
    Face.objects.filter(pk=face_id).delete()
    outcome = review_vote_record(reviewer=reviewer, face_id=face_id, decision="approved")
    assert not outcome.saved and "deleted" in outcome.message
