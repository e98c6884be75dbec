from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class FacesiteConfig(AppConfig):
    name = "facesite"

    def ready(self) -> None:
        from facesite.roles import roles_sync

        # The role permissions live on identities' models; auth creates them in its own
        # post_migrate handler for that app, which was connected first and so runs first.
        post_migrate.connect(roles_sync, sender=apps.get_app_config("identities"))
