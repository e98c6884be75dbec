from identities.models import AuditEvent
from tests.factories import make_identity


def test_rename_records_before_and_after(admin_web, admin, db):
    identity = make_identity("Ada Lovelace", aliases="Countess")
    response = admin_web.post(
        f"/identities/{identity.pk}/edit/", {"name": "Augusta Ada King", "aliases": "Countess"}
    )
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.name == "Augusta Ada King"
    event = AuditEvent.objects.get()
    assert event.action == "identity.rename"
    assert (event.before, event.after) == ({"name": "Ada Lovelace"}, {"name": "Augusta Ada King"})


def test_changing_only_the_case_of_the_own_name_is_allowed(admin_web, db):
    identity = make_identity("ada lovelace")
    admin_web.post(f"/identities/{identity.pk}/edit/", {"name": "Ada Lovelace"})
    identity.refresh_from_db()
    assert identity.name == "Ada Lovelace"


def test_editing_aliases_and_notes_is_an_update_event(admin_web, db):
    identity = make_identity("Ada Lovelace")
    admin_web.post(
        f"/identities/{identity.pk}/edit/", {"name": "Ada Lovelace", "aliases": "Countess", "notes": "n"}
    )
    identity.refresh_from_db()
    assert (identity.aliases, identity.notes) == ("Countess", "n")
    event = AuditEvent.objects.get()
    assert event.action == "identity.update"
    assert event.after == {"aliases": ["Countess"], "notes": "n"}


def test_saving_without_changes_records_nothing(admin_web, db):
    identity = make_identity("Ada Lovelace")
    response = admin_web.post(f"/identities/{identity.pk}/edit/", {"name": "Ada Lovelace"}, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_renaming_onto_an_existing_name_offers_a_merge_and_changes_nothing(admin_web, db):
    identity = make_identity("Ada")
    existing = make_identity("Ada Lovelace")
    response = admin_web.post(f"/identities/{identity.pk}/edit/", {"name": "ADA LOVELACE", "notes": "kept?"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ada Lovelace already exists — merge into it?" in page
    assert f'href="/identities/{identity.pk}/merge/?target=Ada%20Lovelace"' in page
    identity.refresh_from_db()
    existing.refresh_from_db()
    assert (identity.name, identity.notes) == ("Ada", "")
    assert existing.name == "Ada Lovelace"
    assert not AuditEvent.objects.exists()


def test_the_edit_form_starts_with_the_current_values(admin_web, db):
    identity = make_identity("Ada Lovelace", aliases="Countess", notes="Wrote the first program")
    page = admin_web.get(f"/identities/{identity.pk}/edit/").content.decode()
    assert 'value="Ada Lovelace"' in page
    assert "Countess</textarea>" in page
    assert "Wrote the first program</textarea>" in page
