"""Admins override any face: final, audited, and the counts follow."""

from identities.models import AuditEvent, Face, ReviewLease
from identities.review_services import review_batch_claim, review_override
from tests.factories import vote_served


def test_an_override_decides_a_pending_face_and_frees_its_leases(admin, reviewer, grace, pending_faces):
    face = pending_faces[0]
    review_batch_claim(reviewer=reviewer)
    outcome = review_override(actor=admin, face_id=face.pk, decision="rejected", reason="wrong_person")
    face.refresh_from_db()
    grace.refresh_from_db()
    assert outcome.saved and (face.status, face.reason) == ("rejected", "wrong_person")
    assert face.decided_at is not None
    assert not ReviewLease.objects.filter(face=face).exists()
    assert (grace.pending_count, grace.rejected_count) == (5, 1)
    event = AuditEvent.objects.get(action="face.override")
    assert event.actor == admin
    assert event.before == {"status": "pending"}
    assert event.after["status"] == "rejected" and event.after["via"] == "override"


def test_an_override_reverses_a_consensus(admin, reviewer, rob, grace, pending_faces):
    face = pending_faces[0]
    for person in (reviewer, rob):
        vote_served(reviewer=person, face_id=face.pk, decision="approved")
    review_override(actor=admin, face_id=face.pk, decision="rejected", reason="duplicate")
    face.refresh_from_db()
    grace.refresh_from_db()
    assert face.status == "rejected" and face.approve_votes == 2
    assert (grace.approved_count, grace.rejected_count) == (0, 1)


def test_an_override_is_final_for_reviewers(admin, reviewer, pending_faces):
    face = pending_faces[0]
    review_override(actor=admin, face_id=face.pk, decision="approved")
    outcome = vote_served(reviewer=reviewer, face_id=face.pk, decision="rejected", reason="duplicate")
    assert not outcome.saved
    assert Face.objects.get(pk=face.pk).status == "approved"


def test_the_same_override_twice_changes_nothing(admin, pending_faces):
    face = pending_faces[0]
    review_override(actor=admin, face_id=face.pk, decision="approved")
    outcome = review_override(actor=admin, face_id=face.pk, decision="approved")
    assert outcome.message == "Nothing changed."
    assert AuditEvent.objects.filter(action="face.override").count() == 1


def test_settling_from_the_conflicts_page(admin_web, reviewer, rob, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    vote_served(reviewer=rob, face_id=face.pk, decision="rejected", reason="poor_quality")
    response = admin_web.post(
        f"/faces/{face.pk}/override/",
        {"decision": "approved", "reason": "wrong_person", "next": "/review/conflicts/"},
    )
    assert response.status_code == 302 and response["Location"] == "/review/conflicts/"
    face.refresh_from_db()
    # The reason menu's value is ignored for an approval.
    assert (face.status, face.reason) == ("approved", "")


def test_the_next_address_must_be_on_this_site(admin_web, pending_faces):
    face = pending_faces[0]
    response = admin_web.post(
        f"/faces/{face.pk}/override/", {"decision": "approved", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/faces/{face.pk}/"


def test_overrides_from_an_identitys_review_page(admin_web, pending_faces):
    first, second = pending_faces[:2]
    response = admin_web.post(
        "/review/overrides/",
        {
            "operations": [
                {"face": first.pk, "action": "approved", "reason": ""},
                {"face": second.pk, "action": "rejected", "reason": "not_a_face"},
                {"face": second.pk, "action": "undo"},
            ]
        },
        content_type="application/json",
    )
    results = response.json()["results"]
    assert [result["saved"] for result in results] == [True, True, False]
    assert "final" in results[2]["message"]
    assert Face.objects.get(pk=second.pk).status == "rejected"
