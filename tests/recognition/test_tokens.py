import hashlib

from django.urls import reverse

from identities.models import AuditEvent
from recognition.models import ApiToken


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(uploader_web, uploader):
    response = uploader_web.post(reverse("token_list"), {"name": "nightly script"})

    key = response.context["new_key"]
    token = ApiToken.objects.get(user=uploader)
    assert key in response.content.decode()
    assert token.name == "nightly script"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix) and key not in str(ApiToken.objects.values_list())
    assert AuditEvent.objects.filter(action="token.create", actor=uploader).exists()
    assert key not in uploader_web.get(reverse("token_list")).content.decode()


def test_revoking_a_token_deletes_it(uploader_web, uploader):
    uploader_web.post(reverse("token_list"), {"name": "script"})
    token = ApiToken.objects.get(user=uploader)

    response = uploader_web.post(reverse("token_revoke", args=[token.pk]), follow=True)

    assert not ApiToken.objects.exists()
    assert "Revoked" in response.content.decode()
    assert AuditEvent.objects.filter(action="token.revoke", actor=uploader).exists()


def test_nobody_revokes_another_users_token(client, uploader, reviewer):
    client.force_login(uploader)
    client.post(reverse("token_list"), {"name": "mine"})
    token = ApiToken.objects.get()
    client.force_login(reviewer)

    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_token_page_lists_only_your_tokens_and_needs_a_role(client, uploader, reviewer, outsider):
    client.force_login(reviewer)
    client.post(reverse("token_list"), {"name": "reviewer token"})
    client.force_login(uploader)
    assert "reviewer token" not in client.get(reverse("token_list")).content.decode()

    client.force_login(outsider)
    assert client.get(reverse("token_list")).status_code == 403
