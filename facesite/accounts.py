"""What follows a password change: the account's other sessions end, and apps hear of it.

A stolen password may have been used to log in elsewhere or to mint API tokens, so a new
password ends every session of the account but the one that set it, and sends
`password_changed`, on which recognition revokes the account's tokens.
"""

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.models import Session
from django.dispatch import Signal
from django.utils import timezone

# Sent with user= (whose password changed) and actor= (who changed it), inside the
# transaction that saved the password.
password_changed = Signal()


def sessions_end_except(user, request) -> int:
    """Delete the user's stored sessions but this request's (when it is theirs); how many.

    Django already refuses a session whose password hash is stale; deleting the rows as
    well holds with SECRET_KEY_FALLBACKS and leaves nothing to revive. Only the database
    session engine can be searched by user.
    """
    if request.user.pk == user.pk:
        # Keeps this session valid under the new password hash.
        update_session_auth_hash(request, user)
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    current = request.session.session_key if request.user.pk == user.pk else None
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=current)
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)
