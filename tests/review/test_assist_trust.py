"""FACESITE_REVIEW_ASSIST: trust decides a likely-right crop with one vote; off and suggest,
and a blind check under trust, still need consensus."""

import pytest

from identities.models import AuditEvent, Face
from tests.factories import vote_served
from tests.review.assessments import assess


def approve(reviewer, face):
    return vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")


def test_trust_approves_a_likely_right_crop_with_one_vote(settings, reviewer, pending_faces):
    settings.FACESITE_REVIEW_ASSIST = "trust"
    face = pending_faces[0]
    assess(face, "likely", score=0.7)
    outcome = approve(reviewer, face)
    face.refresh_from_db()
    assert outcome.status == face.status == Face.Status.APPROVED
    event = AuditEvent.objects.for_target(face).get(action="face.approve")
    assert event.actor == reviewer and event.after["via"] == "trust"


@pytest.mark.parametrize("mode", ["off", "suggest"])
def test_without_trust_a_likely_right_crop_needs_consensus(settings, mode, reviewer, rob, pending_faces):
    settings.FACESITE_REVIEW_ASSIST = mode
    face = pending_faces[0]
    assess(face, "likely", score=0.7)
    approve(reviewer, face)
    face.refresh_from_db()
    assert face.status == Face.Status.PENDING
    approve(rob, face)
    face.refresh_from_db()
    assert face.status == Face.Status.APPROVED


@pytest.mark.parametrize("band, blind", [("likely", True), ("look", False), ("other", False)])
def test_trust_still_needs_consensus_for_blind_checks_and_other_bands(
    settings, band, blind, reviewer, pending_faces
):
    settings.FACESITE_REVIEW_ASSIST = "trust"
    face = pending_faces[0]
    assess(face, band, blind=blind)
    approve(reviewer, face)
    face.refresh_from_db()
    assert face.status == Face.Status.PENDING


def test_trust_hands_a_likely_right_crop_to_one_reviewer_only(
    settings, reviewer_web, rob, grace, pending_faces
):
    settings.FACESITE_REVIEW_ASSIST = "trust"
    trusted, ordinary = pending_faces[0], pending_faces[1]
    assess(trusted, "likely", score=0.7)
    assess(ordinary, "look")
    reviewer_web.post("/review/batch/")
    rob_client = reviewer_web.__class__()
    rob_client.force_login(rob)
    html = rob_client.post("/review/batch/").content.decode()
    # Its one vote is on its way under the first reviewer's lease; the other crop needs two.
    assert f'data-face-id="{trusted.pk}"' not in html
    assert f'data-face-id="{ordinary.pk}"' in html
