"""Roles are the one source of power: clear the superuser flag that earlier launchers set.

The first admin that `make run` created was a superuser holding every role; it keeps its
powers through those roles. See facesite.roles.superuser_flag_clear.
"""

from django.conf import settings
from django.db import migrations


def superuser_flags_clear(apps, schema_editor) -> None:
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    apps.get_model(app_label, model_name).objects.filter(is_superuser=True).update(is_superuser=False)


class Migration(migrations.Migration):
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [migrations.RunPython(superuser_flags_clear, migrations.RunPython.noop)]
