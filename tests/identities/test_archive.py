from identities.models import AuditEvent
from tests.factories import make_identity


def test_archive_then_unarchive(admin_web, admin, db):
    identity = make_identity("Ada Lovelace")
    response = admin_web.post(f"/identities/{identity.pk}/archive/")
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.archived
    link = f'href="/identities/{identity.pk}/"'
    assert link not in admin_web.get("/identities/").content.decode()
    assert link in admin_web.get("/identities/?show=archived").content.decode()

    admin_web.post(f"/identities/{identity.pk}/unarchive/")
    identity.refresh_from_db()
    assert not identity.archived
    events = list(AuditEvent.objects.order_by("id").values_list("action", "before", "after"))
    assert events == [
        ("identity.archive", {"archived": False}, {"archived": True}),
        ("identity.unarchive", {"archived": True}, {"archived": False}),
    ]


def test_archiving_twice_records_one_event(admin_web, db):
    identity = make_identity("Ada Lovelace")
    admin_web.post(f"/identities/{identity.pk}/archive/")
    admin_web.post(f"/identities/{identity.pk}/archive/")
    assert AuditEvent.objects.filter(action="identity.archive").count() == 1


def test_archive_needs_a_post(admin_web, db):
    identity = make_identity("Ada Lovelace")
    assert admin_web.get(f"/identities/{identity.pk}/archive/").status_code == 405
    identity.refresh_from_db()
    assert not identity.archived
