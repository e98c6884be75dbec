import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from facesite.launcher import Launcher, var_dir_make_private
from facesite.roles import ADMIN, ROLE_PERMISSIONS


class Command(BaseCommand):
    help = "Migrate, make sure an admin exists, then run Redis, a worker and web, restarting any that dies."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        var_dir_make_private()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.ensure_admin()
        launcher = Launcher(host=host, port=port, out=self.stdout)
        try:
            launcher.start()
            exit_code = launcher.wait()
        finally:
            launcher.stop()
        if exit_code:
            raise SystemExit(exit_code)

    def ensure_admin(self) -> None:
        """Create the first admin account, holding every role, when no active user holds the
        admin role. Its powers are its roles: it is not a superuser, so removing a role removes
        that power."""
        users = get_user_model()
        if users.objects.filter(is_active=True, groups__name=ADMIN).exists():
            return
        username = os.environ.get("FACESITE_ADMIN_USERNAME", "admin")
        password = os.environ.get("FACESITE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        if users.objects.filter(username=username).exists():
            raise CommandError(
                f"No active user holds the admin role and the account {username!r} exists; "
                "set FACESITE_ADMIN_USERNAME to a new name to create another admin account."
            )
        admin = users.objects.create_user(username=username, password=password)
        admin.groups.set(Group.objects.filter(name__in=ROLE_PERMISSIONS))
        if "FACESITE_ADMIN_PASSWORD" in os.environ:
            shown = "the password in FACESITE_ADMIN_PASSWORD"
        else:
            shown = f"the password {password!r} (shown only this once)"
        self.stdout.write(
            self.style.SUCCESS(f"Created the admin account. Log in as {username!r} with {shown}.")
        )
        self.stdout.write(f"To change it later: .venv/bin/python manage.py changepassword {username}")
