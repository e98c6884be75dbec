"""Every vote, undo, override and status change of a face, and every vote of a reviewer, can be read."""

from identities.review_services import review_override, review_vote_undo
from tests.factories import vote_served


def test_a_faces_history_lists_votes_and_every_event(admin, admin_web, reviewer, rob, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    review_vote_undo(reviewer=reviewer, face_id=face.pk)
    vote_served(reviewer=reviewer, face_id=face.pk, decision="rejected", reason="duplicate")
    vote_served(reviewer=rob, face_id=face.pk, decision="rejected", reason="duplicate")
    review_override(actor=admin, face_id=face.pk, decision="approved")
    page = admin_web.get(f"/faces/{face.pk}/").content.decode()
    for action in ("review.vote", "review.undo", "face.reject", "face.override"):
        assert f"<code>{action}</code>" in page
    assert page.count("<code>review.vote</code>") == 3
    assert "Grace Hopper" in page and "64×64 px" in page


def test_a_reviewers_history_shows_agreement_with_the_outcome(admin, admin_web, reviewer, rob, pending_faces):
    agreed, overruled, open_face = pending_faces[:3]
    for face in (agreed, overruled):
        vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
        vote_served(reviewer=rob, face_id=face.pk, decision="approved")
    review_override(actor=admin, face_id=overruled.pk, decision="rejected", reason="wrong_person")
    vote_served(reviewer=reviewer, face_id=open_face.pk, decision="approved")
    page = admin_web.get(f"/review/reviewers/{reviewer.pk}/").content.decode()
    assert "3 votes" in page
    assert page.count(">agreed</span>") == 1
    assert page.count(">overruled</span>") == 1
    assert page.count('class="badge pending"') == 1
    assert f"/audit/?actor={reviewer.pk}" in page
