from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"

    def ready(self) -> None:
        # Registers pipeline's job kinds, so every process knows them.
        import pipeline.tasks  # noqa: F401
        from identities.services import storage_referrer_register
        from pipeline.models import DatasetItem

        # A frozen dataset must still export and train after its faces are deleted, so
        # deleting an identity keeps the crop files a manifest names.
        storage_referrer_register(DatasetItem, "file")
