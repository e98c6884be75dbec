"""A reviewer takes back their own vote while the face is pending; a decided face keeps its status."""

from identities.models import AuditEvent, ReviewLease
from identities.review_services import review_vote_undo
from tests.factories import vote_served


def test_undo_removes_the_vote_and_keeps_the_face_for_the_reviewer(reviewer, pending_faces, clock):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved", now=clock.now)
    outcome = review_vote_undo(reviewer=reviewer, face_id=face.pk, now=clock.now)
    face.refresh_from_db()
    assert outcome.saved
    assert (face.status, face.approve_votes, face.votes.count()) == ("pending", 0, 0)
    assert ReviewLease.objects.get(face=face).reviewer == reviewer
    event = AuditEvent.objects.get(action="review.undo")
    assert event.before == {"decision": "approved", "reason": ""}


def test_the_reviewer_can_vote_again_after_an_undo(reviewer, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    review_vote_undo(reviewer=reviewer, face_id=face.pk)
    vote_served(reviewer=reviewer, face_id=face.pk, decision="rejected", reason="duplicate")
    assert face.votes.get().decision == "rejected"


def test_undo_after_the_decision_is_refused(reviewer, rob, grace, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    vote_served(reviewer=rob, face_id=face.pk, decision="approved")
    outcome = review_vote_undo(reviewer=rob, face_id=face.pk)
    face.refresh_from_db()
    assert not outcome.saved and "an admin can override" in outcome.message
    assert (face.status, face.votes.count()) == ("approved", 2)
    grace.refresh_from_db()
    assert grace.approved_count == 1


def test_undo_touches_only_the_reviewers_own_vote(reviewer, rob, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    assert review_vote_undo(reviewer=rob, face_id=face.pk).saved
    assert face.votes.get().reviewer == reviewer


def test_an_undo_sent_twice_is_harmless(reviewer, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    review_vote_undo(reviewer=reviewer, face_id=face.pk)
    assert review_vote_undo(reviewer=reviewer, face_id=face.pk).saved
    assert AuditEvent.objects.filter(action="review.undo").count() == 1
