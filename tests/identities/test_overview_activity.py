"""The overview's activity card shows each role only what its other pages already show."""

import pytest

from facesite import roles
from identities.models import AuditEvent
from tests.conftest import make_user
from tests.factories import make_identity, make_pending_faces


@pytest.fixture
def activity(admin, reviewer, db):
    """An admin's user change, another reviewer's vote and the reviewer's own vote."""
    grace = make_identity("Grace Hopper")
    own_face, other_face = make_pending_faces(grace, 2)
    rob = make_user("rob", roles.REVIEWER)
    AuditEvent.record(actor=admin, action="user.change", target=rob, after={"roles": ["reviewer"]})
    AuditEvent.record(actor=rob, action="review.vote", target=other_face, after={"decision": "rejected"})
    AuditEvent.record(actor=reviewer, action="review.vote", target=own_face, after={"decision": "approved"})
    return {"own_face": own_face, "other_face": other_face}


def test_admins_see_every_recent_event(admin_web, activity):
    page = admin_web.get("/").content.decode()
    assert "user.change" in page and page.count("review.vote") == 2


def test_reviewers_see_only_their_own_activity(reviewer_web, activity):
    response = reviewer_web.get("/")
    assert [event.actor.username for event in response.context["events"]] == ["rita"]
    page = response.content.decode()
    assert "Your recent activity" in page and page.count("review.vote") == 1
    assert "user.change" not in page
    assert f"Face {activity['own_face'].pk} of" in page and f"Face {activity['other_face'].pk} of" not in page


@pytest.mark.parametrize("web", ["uploader_web", "outsider_web"])
def test_users_without_the_reviewer_or_admin_role_see_no_activity(request, web, activity):
    response = request.getfixturevalue(web).get("/")
    assert response.status_code == 200 and response.context["events"] is None
    page = response.content.decode()
    assert "review.vote" not in page and "user.change" not in page and "activity" not in page
