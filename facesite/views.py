"""User management for admins (accounts and the roles they hold) and a user's own password."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy

from facesite.accounts import password_changed, sessions_end_except
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


def _password_changed_record(request, user) -> None:
    """After a new password is saved: end the user's other sessions, audit it, tell the apps."""
    sessions_ended = sessions_end_except(user, request)
    AuditEvent.record(
        actor=request.user,
        action="user.password_change",
        target=user,
        after={"sessions_ended": sessions_ended},
    )
    password_changed.send(sender=get_user_model(), user=user, actor=request.user)


class PasswordChangeView(auth_views.PasswordChangeView):
    """A user's own password change; Django's view keeps this session, ours ends the others."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("overview")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            _password_changed_record(self.request, form.user)
        messages.success(
            self.request, "Password changed. Your other sessions have ended and your API tokens are revoked."
        )
        return response


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
                if form.cleaned_data.get("new_password1"):
                    _password_changed_record(request, user)
            messages.success(request, f"Saved {user.username}.")
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "account": user})
