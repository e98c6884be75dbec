"""A new password ends the account's other sessions and revokes its API tokens, audited."""

from django.test import Client
from django.urls import reverse

from identities.models import AuditEvent
from recognition.models import ApiToken
from recognition.services.tokens import token_create
from tests.conftest import make_user

OLD = "correct horse battery staple"
NEW = "a sturdy passphrase 42"


def logged_in(username: str, password: str = OLD) -> Client:
    """A client logged in through the login page, as a person (and the login throttle) sees it."""
    client = Client()
    client.post(reverse("login"), {"username": username, "password": password})
    assert is_logged_in(client)
    return client


def is_logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_changing_your_own_password_keeps_this_session_only_and_revokes_your_tokens(uploader, admin):
    token, key = token_create(user=uploader, name="laptop script")
    token_create(user=admin, name="someone else's")
    here, elsewhere = logged_in("uma"), logged_in("uma")
    page = here.get(reverse("password_change")).content.decode()
    assert "your API tokens are revoked" in page
    response = here.post(
        reverse("password_change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "Your other sessions have ended" in response.content.decode()
    assert is_logged_in(here) and not is_logged_in(elsewhere)
    assert not ApiToken.objects.filter(user=uploader).exists() and ApiToken.objects.count() == 1
    api = Client().get(reverse("api_identities"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 401
    change = AuditEvent.objects.get(action="user.password_change")
    assert (change.actor, change.target_id, change.after) == (uploader, uploader.pk, {"sessions_ended": 1})
    revoke = AuditEvent.objects.get(action="token.revoke")
    assert (revoke.actor, revoke.target_id) == (uploader, token.pk)


def test_a_wrong_old_password_changes_nothing(uploader):
    token_create(user=uploader, name="script")
    here = logged_in("uma")
    response = here.post(
        reverse("password_change"), {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert ApiToken.objects.exists() and not AuditEvent.objects.filter(action="user.password_change").exists()


def test_an_admins_reset_ends_the_users_sessions_and_revokes_their_tokens(admin, uploader):
    token_create(user=uploader, name="script")
    theirs, admins = logged_in("uma"), logged_in("ada")
    response = admins.post(
        f"/users/{uploader.pk}/",
        {"roles": ["uploader"], "is_active": "on", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert not is_logged_in(theirs) and is_logged_in(admins)
    assert not ApiToken.objects.exists()
    change = AuditEvent.objects.get(action="user.password_change")
    assert (change.actor, change.target_id) == (admin, uploader.pk)
    assert AuditEvent.objects.get(action="token.revoke").actor == admin


def test_an_admin_resetting_their_own_password_stays_logged_in(admin):
    make_user("bob", "admin")
    here, elsewhere = logged_in("ada"), logged_in("ada")
    here.post(
        f"/users/{admin.pk}/",
        {"roles": ["admin"], "is_active": "on", "new_password1": NEW, "new_password2": NEW},
    )
    assert is_logged_in(here) and not is_logged_in(elsewhere)
