from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models.signals import post_migrate, pre_save


class FacesiteConfig(AppConfig):
    name = "facesite"

    def ready(self) -> None:
        from facesite.roles import roles_sync, superuser_flag_clear

        # The role permissions live on identities' models; auth creates them in its own
        # post_migrate handler for that app, which was connected first and so runs first.
        post_migrate.connect(roles_sync, sender=apps.get_app_config("identities"))
        pre_save.connect(
            superuser_flag_clear, sender=settings.AUTH_USER_MODEL, dispatch_uid="facesite.superuser"
        )
