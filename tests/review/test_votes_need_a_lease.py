"""A reviewer votes only on faces a batch they fetched leased to them; votes by id are refused."""

import json

from identities.models import AuditEvent, ReviewVote
from tests.conftest import make_user


def decide(client, face_id: int, action: str = "approved") -> dict:
    reason = "wrong_person" if action == "rejected" else ""
    body = json.dumps({"operations": [{"face": face_id, "action": action, "reason": reason}]})
    [result] = client.post("/review/decisions/", body, content_type="application/json").json()["results"]
    return result


def test_a_vote_on_a_face_never_served_is_refused_until_a_batch_serves_it(reviewer_web, grace, pending_faces):
    face = pending_faces[0]
    result = decide(reviewer_web, face.pk)
    assert result["saved"] is False
    assert result["message"] == f"Face {face.pk} is not in a batch you fetched; your vote was not recorded."
    assert not ReviewVote.objects.exists() and not AuditEvent.objects.filter(action="review.vote").exists()
    # Served by a batch, the face takes the vote, its undo and a new vote.
    reviewer_web.post(f"/review/batch/?identity={grace.pk}")
    assert decide(reviewer_web, face.pk)["saved"] is True
    assert decide(reviewer_web, face.pk, "undo")["saved"] is True
    assert decide(reviewer_web, face.pk, "rejected")["saved"] is True
    assert ReviewVote.objects.get().reason == "wrong_person"


def test_a_vote_on_a_face_leased_to_someone_else_is_refused(client, grace, pending_faces):
    client.force_login(make_user("rob", "reviewer"))
    client.post(f"/review/batch/?identity={grace.pk}")
    client.force_login(make_user("sam", "reviewer"))
    # Sam's own batch: the faces need two votes, so he is handed them too, but only once he asks.
    assert decide(client, pending_faces[0].pk, "rejected")["saved"] is False
    assert not ReviewVote.objects.filter(reviewer__username="sam").exists()


def test_two_reviewers_cannot_decide_a_face_without_fetching_it(client, pending_faces):
    face = pending_faces[0]
    for name in ("rob", "sam"):
        client.force_login(make_user(name, "reviewer"))
        decide(client, face.pk, "rejected")
    face.refresh_from_db()
    assert (face.status, face.reject_votes) == ("pending", 0)
