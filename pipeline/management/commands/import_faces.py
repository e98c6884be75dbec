import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from facesite.errors import FacesiteError
from pipeline.detection import DEFAULT_DETECTOR, DETECTORS
from pipeline.importer import faces_import


class Command(BaseCommand):
    help = (
        "Import photos from a folder or .zip holding one sub-folder per identity, named after "
        "the person; detect and crop their faces for review. Running it again adds nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A folder or .zip of per-identity folders.")
        parser.add_argument(
            "--detector",
            default=DEFAULT_DETECTOR,
            help=f"Face detector: {', '.join(sorted(DETECTORS))} (default {DEFAULT_DETECTOR}).",
        )
        parser.add_argument(
            "--approve",
            action="store_true",
            help="Approve the faces found instead of queueing them for review.",
        )

    def handle(self, *args, path, detector, approve, **options):
        # The bar redraws itself with carriage returns, which only makes sense on a terminal.
        with tqdm(unit="file", file=sys.stderr, disable=not sys.stderr.isatty()) as progress:

            def progress_show(done: int, total: int) -> None:
                progress.total = total
                progress.update(done - progress.n)

            try:
                summary = faces_import(
                    path=path, detector_name=detector, approve=approve, on_progress=progress_show
                )
            except FacesiteError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(str(summary))
        for reason, count in summary.failures.most_common():
            self.stdout.write(f"  {count} x {reason}")
        if summary.skipped and not summary.identities:
            self.stdout.write(
                "Files at the top level are skipped: put each person's photos in a folder named after them."
            )
