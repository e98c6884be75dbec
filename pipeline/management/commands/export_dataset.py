from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from pipeline.datasets import dataset_export_folder, dataset_export_zip_file
from pipeline.models import DatasetVersion


class Command(BaseCommand):
    help = (
        "Export a ready dataset version as <split>/<identity name>/<face id>.jpg plus manifest.csv "
        "(face_id, identity_id, identity_name, label, split, repeats, file), into a new folder or a zip."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset_id", type=int, metavar="ID", help="The dataset version's number.")
        parser.add_argument(
            "out", type=Path, metavar="OUT", help="A folder that does not exist yet, or the zip."
        )
        parser.add_argument(
            "--zip", action="store_true", help="Write one zip file at OUT instead of a folder."
        )

    def handle(self, *args, dataset_id, out, zip, **options):
        dataset = DatasetVersion.objects.filter(pk=dataset_id).first()
        if dataset is None:
            raise CommandError(f"There is no dataset version {dataset_id}.")
        export = dataset_export_zip_file if zip else dataset_export_folder
        try:
            written, missing = export(dataset=dataset, path=out)
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Exported {written} crops of {dataset} to {out}.")
        if missing:
            self.stderr.write(f"{missing} crop files were missing from storage and are not in the export.")
