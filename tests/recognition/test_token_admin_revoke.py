"""Admins see and revoke every user's API tokens; other users only their own."""

from django.test import Client
from django.urls import reverse

from identities.models import AuditEvent
from recognition.models import ApiToken
from recognition.services.tokens import token_create


def test_an_admin_revokes_another_users_token_which_only_admins_see(client, admin, uploader):
    token, key = token_create(user=uploader, name="leaked script")
    token_create(user=admin, name="admin's script")
    client.force_login(uploader)
    assert "admin&#x27;s script" not in client.get(reverse("token_list")).content.decode()
    client.force_login(admin)
    page = client.get(reverse("token_list")).content.decode()
    assert "Other users' tokens" in page and "leaked script" in page and "uma" in page
    response = client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "Revoked the token “leaked script” of uma" in response.content.decode()
    assert list(ApiToken.objects.values_list("user", flat=True)) == [admin.pk]
    assert Client().get(reverse("api_identities"), HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    event = AuditEvent.objects.get(action="token.revoke")
    assert (event.actor, event.target_id) == (admin, token.pk)
