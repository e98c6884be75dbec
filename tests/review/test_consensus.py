"""A face's status comes from its votes: two agreeing decide, a split goes to a third reviewer."""

from identities.models import AuditEvent, Face, ReviewLease
from identities.review_services import review_batch_claim
from tests.factories import vote_served


def vote(reviewer, face, decision, reason="", **options):
    if decision == "rejected" and not reason:
        reason = "wrong_person"
    return vote_served(reviewer=reviewer, face_id=face.pk, decision=decision, reason=reason, **options)


def test_one_vote_leaves_the_face_pending(reviewer, pending_faces):
    face = pending_faces[0]
    outcome = vote(reviewer, face, "approved")
    face.refresh_from_db()
    assert outcome.saved and outcome.status == "pending"
    assert (face.status, face.approve_votes, face.reject_votes) == ("pending", 1, 0)


def test_two_agreeing_votes_approve_and_recount_the_identity(reviewer, rob, grace, pending_faces, clock):
    face = pending_faces[0]
    vote(reviewer, face, "approved", now=clock.now)
    outcome = vote(rob, face, "approved", now=clock.after(5))
    face.refresh_from_db()
    grace.refresh_from_db()
    assert outcome.status == "approved"
    assert (face.status, face.reason, face.decided_at) == ("approved", "", clock.after(5))
    assert (grace.pending_count, grace.approved_count) == (5, 1)
    decision = AuditEvent.objects.for_target(face).get(action="face.approve")
    assert decision.actor == rob
    assert decision.after["via"] == "consensus" and decision.before == {"status": "pending"}


def test_two_rejections_reject_with_the_reason_most_gave(reviewer, rob, sam, grace, pending_faces):
    face = pending_faces[0]
    vote(reviewer, face, "rejected", "poor_quality")
    vote(rob, face, "approved")
    vote(sam, face, "rejected", "not_a_face")
    face.refresh_from_db()
    # A tie between reasons goes to the earliest.
    assert (face.status, face.reason) == ("rejected", "poor_quality")
    grace.refresh_from_db()
    assert grace.rejected_count == 1
    assert AuditEvent.objects.for_target(face).filter(action="face.reject").count() == 1


def test_a_split_waits_for_a_third_reviewer_who_decides_it(reviewer, rob, sam, pending_faces, clock):
    face = pending_faces[0]
    for person in (reviewer, rob):
        review_batch_claim(reviewer=person, now=clock.now)
    vote(reviewer, face, "approved", now=clock.now)
    vote(rob, face, "rejected", now=clock.now)
    face.refresh_from_db()
    assert (face.status, face.approve_votes, face.reject_votes) == ("pending", 1, 1)
    third = review_batch_claim(reviewer=sam, now=clock.now)
    assert face in third.faces
    vote(sam, face, "approved", now=clock.now)
    face.refresh_from_db()
    assert face.status == "approved"
    assert not ReviewLease.objects.filter(face=face).exists()


def test_a_vote_after_the_decision_is_refused_and_changes_nothing(reviewer, rob, sam, pending_faces):
    face = pending_faces[0]
    vote(reviewer, face, "approved")
    vote(rob, face, "approved")
    outcome = vote(sam, face, "rejected")
    face.refresh_from_db()
    assert not outcome.saved and "already approved" in outcome.message
    assert (face.status, face.votes.count()) == ("approved", 2)


def test_the_consensus_comes_from_settings(settings, reviewer, rob, sam, pending_faces):
    settings.FACESITE_REVIEW_CONSENSUS = 3
    face = pending_faces[0]
    vote(reviewer, face, "approved")
    vote(rob, face, "approved")
    face.refresh_from_db()
    assert face.status == "pending"
    vote(sam, face, "approved")
    face.refresh_from_db()
    assert face.status == "approved"


def test_the_same_vote_sent_twice_counts_once(reviewer, pending_faces):
    face = pending_faces[0]
    assert vote(reviewer, face, "approved").saved
    assert vote(reviewer, face, "approved").saved
    face.refresh_from_db()
    assert face.approve_votes == 1
    assert AuditEvent.objects.filter(action="review.vote").count() == 1


def test_a_different_second_vote_is_refused(reviewer, pending_faces):
    face = pending_faces[0]
    vote(reviewer, face, "approved")
    outcome = vote(reviewer, face, "rejected")
    assert not outcome.saved and "undo" in outcome.message
    assert face.votes.get().decision == "approved"


def test_every_vote_is_audited(reviewer, pending_faces):
    face = pending_faces[0]
    vote(reviewer, face, "rejected", "duplicate")
    event = AuditEvent.objects.get(action="review.vote")
    assert (event.actor, event.target_id) == (reviewer, face.pk)
    assert event.after == {"decision": "rejected", "reason": "duplicate"}


def test_tally_votes_decides_a_face_only_once(reviewer, rob, pending_faces, clock):
    face = pending_faces[0]
    vote(reviewer, face, "approved")
    vote(rob, face, "approved")
    face.refresh_from_db()
    assert face.tally_votes(2, clock.after(60)) is False
    assert face.decided_at != clock.after(60)
    assert Face.objects.get(pk=face.pk).status == "approved"
