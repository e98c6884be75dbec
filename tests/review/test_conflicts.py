"""The conflicts page lists faces reviewers disagreed on, with their votes, for an admin to settle."""

from identities.review_services import review_override
from tests.factories import vote_served


def split(face, *reviewers):
    vote_served(reviewer=reviewers[0], face_id=face.pk, decision="approved")
    vote_served(reviewer=reviewers[1], face_id=face.pk, decision="rejected", reason="wrong_person")


def test_open_conflicts_show_each_vote(admin_web, reviewer, rob, pending_faces):
    split(pending_faces[0], reviewer, rob)
    vote_served(reviewer=reviewer, face_id=pending_faces[1].pk, decision="approved")
    page = admin_web.get("/review/conflicts/").content.decode()
    assert "1 face where reviewers disagreed" in page
    assert f'alt="Face {pending_faces[0].pk}"' in page and f'alt="Face {pending_faces[1].pk}"' not in page
    assert "✓ approve</span> <a" in page and "✗ wrong person" in page
    assert ">rita</a>" in page and ">rob</a>" in page


def test_settled_conflicts_move_to_their_own_tab(admin, admin_web, reviewer, rob, pending_faces):
    face = pending_faces[0]
    split(face, reviewer, rob)
    review_override(actor=admin, face_id=face.pk, decision="approved")
    assert "No open conflicts." in admin_web.get("/review/conflicts/").content.decode()
    settled = admin_web.get("/review/conflicts/?show=settled").content.decode()
    assert f'alt="Face {face.pk}"' in settled and "badge approved" in settled
