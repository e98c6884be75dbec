"""User management for admins: accounts and the roles they hold."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from facesite.forms import UserCreateForm, UserEditForm
from facesite.roles import ADMIN, ROLE_PERMISSIONS, role_required, user_roles
from identities.models import AuditEvent

MANAGE = "identities.manage_identities"


@role_required(MANAGE)
def user_list(request):
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "roles": list(ROLE_PERMISSIONS)})


def _roles_set(user, roles: list[str]) -> None:
    user.groups.set(Group.objects.filter(name__in=roles))


@role_required(MANAGE)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            _roles_set(user, form.cleaned_data["roles"])
            AuditEvent.record(
                actor=request.user, action="user.create", target=user, after={"roles": user_roles(user)}
            )
        messages.success(request, f"Created {user.username}.")
        return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@role_required(MANAGE)
def user_edit(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    before = {"roles": user_roles(user), "is_active": user.is_active}
    form = UserEditForm(request.POST or None, instance=user, initial={"roles": before["roles"]})
    if request.method == "POST" and form.is_valid():
        if user == request.user and (
            ADMIN not in form.cleaned_data["roles"] or not form.cleaned_data["is_active"]
        ):
            form.add_error(None, "You can't remove your own admin role or deactivate yourself.")
        else:
            with transaction.atomic():
                form.save()
                _roles_set(user, form.cleaned_data["roles"])
                after = {"roles": user_roles(user), "is_active": user.is_active}
                AuditEvent.record(
                    actor=request.user, action="user.change", target=user, before=before, after=after
                )
            messages.success(request, f"Saved {user.username}.")
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "account": user})
