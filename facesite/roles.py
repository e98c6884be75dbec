"""The three roles, as Django groups holding permissions, and the check views use."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

ADMIN = "admin"
REVIEWER = "reviewer"
UPLOADER = "uploader"

ROLE_PERMISSIONS = {
    ADMIN: ["identities.manage_identities", "identities.override_reviews"],
    REVIEWER: ["identities.review_faces"],
    UPLOADER: ["identities.recognize_faces"],
}

ROLE_DESCRIPTIONS = {
    ADMIN: "manage identities, start jobs, override reviews, manage users",
    REVIEWER: "review face crops",
    UPLOADER: "recognize faces in photos",
}

# The role a person needs for each permission, for the message on a 403 page.
_ROLE_FOR_PERMISSION = {perm: role for role, perms in ROLE_PERMISSIONS.items() for perm in perms}


def roles_sync(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions (post_migrate)."""
    for role, permission_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in (name.split(".") for name in permission_names)
        ]
        group.permissions.set(permissions)


def superuser_flag_clear(sender, instance, **kwargs) -> None:
    """Keep every account's superuser flag off (pre_save), so roles are the one source of power.

    Django's User.has_perm grants an active superuser everything without asking a backend,
    and the site has no use for the flag: Django's admin is not installed. `createsuperuser`
    therefore makes a plain account; give it roles on the Users page.
    """
    instance.is_superuser = False


def user_roles(user) -> list[str]:
    return [role for role in ROLE_PERMISSIONS if user.groups.filter(name=role).exists()]


def role_required(*permissions: str) -> Callable:
    """View decorator: 403 with a plain message unless the user holds any of the permissions."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_perm(permission) for permission in permissions):
                roles = " or ".join(sorted({_ROLE_FOR_PERMISSION[p] for p in permissions}))
                raise PermissionDenied(f"This page needs the {roles} role. Ask an admin to give it to you.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
