"""The authentication backend: Django's ModelBackend, with permissions in one query.

Roles are the only source of power: a superuser flag grants nothing (see
facesite.roles.superuser_flag_clear, which keeps it off, as Django's own
User.has_perm would otherwise grant a superuser everything before asking a backend).
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class RoleBackend(ModelBackend):
    """Reads a user's permissions, their own and their groups', in one query, not two.

    Every page checks a role, so this is one database round trip less per request.
    Permissions are cached on the user object for the request, as ModelBackend does.
    """

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            names = permissions.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in names}
        return user_obj._perm_cache
