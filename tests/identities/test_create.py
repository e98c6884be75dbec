from identities.models import AuditEvent, Identity
from tests.factories import make_identity


def test_creates_an_identity_and_records_it(admin_web, admin):
    response = admin_web.post(
        "/identities/new/",
        {
            "name": "  Ada   Lovelace ",
            "aliases": "Countess\n\ncountess\nAda Lovelace\nA. King",
            "notes": " First programmer ",
        },
    )
    identity = Identity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/identities/{identity.pk}/"
    assert identity.name == "Ada Lovelace"
    assert identity.alias_list() == ["Countess", "A. King"]
    assert identity.notes == "First programmer"
    assert identity.created_by == admin
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.target_id, event.after) == (
        "identity.create",
        admin,
        identity.pk,
        {"name": "Ada Lovelace"},
    )


def test_a_name_taken_in_another_case_is_a_form_error_linking_to_it(admin_web, db):
    existing = make_identity("Ada Lovelace")
    response = admin_web.post("/identities/new/", {"name": "ada lovelace"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "An identity named &#x27;Ada Lovelace&#x27; already exists." in page
    assert f'href="/identities/{existing.pk}/"' in page
    assert Identity.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_a_blank_name_is_a_form_error(admin_web, db):
    response = admin_web.post("/identities/new/", {"name": "   ", "aliases": "x"})
    assert response.status_code == 200
    assert "A name is required." in response.content.decode()
    assert not Identity.objects.exists()


def test_a_too_long_name_is_a_form_error(admin_web, db):
    response = admin_web.post("/identities/new/", {"name": "x" * 201})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    assert not Identity.objects.exists()
