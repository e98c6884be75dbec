"""Roles are the one source of power: no superuser flag grants anything, the first admin included."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from facesite.management.commands.run import Command
from facesite.roles import ROLE_PERMISSIONS, user_roles

ADMIN_PAGES = ["/users/", "/identities/", "/audit/", "/jobs/", "/review/conflicts/"]


def statuses(client, paths) -> set[int]:
    return {client.get(path).status_code for path in paths}


def test_the_first_admin_holds_its_powers_through_roles_alone(client, db, monkeypatch):
    monkeypatch.setenv("FACESITE_ADMIN_PASSWORD", "a sturdy passphrase 42")
    Command().ensure_admin()
    Command().ensure_admin()  # a second run finds the admin and creates none
    admin = get_user_model().objects.get()
    assert not admin.is_superuser and sorted(user_roles(admin)) == sorted(ROLE_PERMISSIONS)
    client.force_login(admin)
    assert statuses(client, ADMIN_PAGES + ["/review/", "/recognize/"]) == {200}

    admin.groups.clear()
    assert statuses(client, ADMIN_PAGES + ["/review/", "/recognize/"]) == {403}
    assert 'href="/users/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("make", ["create_superuser", "flag_set"])
def test_a_superuser_without_roles_can_do_nothing(client, db, make):
    users = get_user_model()
    if make == "create_superuser":
        user = users.objects.create_superuser("root", password="a sturdy passphrase 42")
    else:
        user = users.objects.create_user("root", password="a sturdy passphrase 42")
        user.is_superuser = True
        user.save()
    user.refresh_from_db()
    assert not user.is_superuser
    client.force_login(user)
    assert statuses(client, ADMIN_PAGES + ["/review/", "/recognize/"]) == {403}
    user.groups.set(Group.objects.filter(name="reviewer"))
    assert client.get("/review/").status_code == 200 and client.get("/users/").status_code == 403


def test_migrating_clears_the_flag_an_earlier_launcher_set(client, db):
    from importlib import import_module

    from django.apps import apps

    user = get_user_model().objects.create_user("admin", password="a sturdy passphrase 42")
    # As the earlier `make run` left it; update() skips the model's save.
    get_user_model().objects.filter(pk=user.pk).update(is_superuser=True)
    import_module("facesite.migrations.0001_superusers_hold_no_power").superuser_flags_clear(apps, None)
    user.refresh_from_db()
    client.force_login(user)
    assert not user.is_superuser and client.get("/users/").status_code == 403
