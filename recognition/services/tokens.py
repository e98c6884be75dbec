"""Per-user API tokens: created and revoked in the UI, sent as `Authorization: Bearer <key>`.

Only the key's SHA-256 is stored, so a copy of the database gives no usable key; the
key itself is shown once, when it is created.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from identities.models import AuditEvent
from recognition.models import ApiToken

KEY_PREFIX = "fs_"
# How stale last_used_at may get: one write a minute at most, however busy the token.
LAST_USED_PRECISION = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for user and its key, which is not stored and cannot be shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=key_hash(key), prefix=key[:8])
    AuditEvent.record(actor=user, action="token.create", target=token, after={"name": name})
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> None:
    AuditEvent.record(actor=actor, action="token.revoke", target=token, before={"name": token.name})
    token.delete()


def tokens_revoke_all(*, user, actor) -> int:
    """Revoke every token of a user, each audited: how many there were."""
    revoked = list(ApiToken.objects.filter(user=user))
    for token in revoked:
        token_revoke(token=token, actor=actor)
    return len(revoked)


def password_changed_receiver(sender, *, user, actor, **kwargs) -> None:
    """A new password revokes the tokens the old one may have minted (facesite.accounts)."""
    tokens_revoke_all(user=user, actor=actor)


def bearer_key(authorization: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None for any other header."""
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def token_authenticate(key: str):
    """The active user a key belongs to, or None; notes when the token was last used."""
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    return token.user
