from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"

    def ready(self) -> None:
        from identities.services import storage_referrer_register
        from pipeline.models import DatasetItem

        # A frozen dataset must still export and train after its faces are deleted, so
        # deleting an identity keeps the crop files a manifest names.
        storage_referrer_register(DatasetItem, "file")
