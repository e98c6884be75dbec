import pytest

from identities.models import AuditEvent
from tests.conftest import make_user
from tests.factories import make_identity


@pytest.fixture
def events(admin, db):
    other_admin = make_user("bob", "admin")
    alive = make_identity("Ada Lovelace")
    gone = make_identity("Gone")
    AuditEvent.record(actor=admin, action="identity.create", target=alive, after={"name": "Ada Lovelace"})
    AuditEvent.record(actor=other_admin, action="identity.archive", target=alive)
    AuditEvent.record(actor=admin, action="identity.delete", target=gone, before={"name": "Gone"})
    gone.delete()
    return {"alive": alive, "gone_pk": gone.pk, "other_admin": other_admin}


def test_lists_events_newest_first_linking_targets_that_still_exist(admin_web, events):
    response = admin_web.get("/audit/")
    assert [event.action for event in response.context["events"]] == [
        "identity.delete",
        "identity.archive",
        "identity.create",
    ]
    page = response.content.decode()
    assert f'<a href="/identities/{events["alive"].pk}/">Ada Lovelace</a>' in page
    assert f'href="/identities/{events["gone_pk"]}/"' not in page
    assert "Gone" in page


def test_filters_by_action_and_actor(admin_web, admin, events):
    by_action = admin_web.get("/audit/?action=identity.archive").context["events"]
    assert [event.action for event in by_action] == ["identity.archive"]
    by_actor = admin_web.get(f"/audit/?actor={admin.pk}").context["events"]
    assert [event.action for event in by_actor] == ["identity.delete", "identity.create"]
    both = admin_web.get(f"/audit/?action=identity.archive&actor={admin.pk}").context["events"]
    assert both == []


def test_an_unknown_filter_value_shows_everything(admin_web, events):
    assert len(admin_web.get("/audit/?action=nope&actor=abc").context["events"]) == 3


def test_pages_of_fifty(admin_web, admin, db):
    identity = make_identity("Ada Lovelace")
    for _ in range(55):
        AuditEvent.record(actor=admin, action="identity.update", target=identity)
    first = admin_web.get("/audit/?action=identity.update")
    assert len(first.context["events"]) == 50
    assert 'href="?action=identity.update&amp;page=2"' in first.content.decode()
    assert len(admin_web.get("/audit/?action=identity.update&page=2").context["events"]) == 5
