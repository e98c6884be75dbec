from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from identities.name_import import identity_names_import, identity_names_read

# Lists longer than this are cut short on the terminal; the counts stay complete.
NAMES_SHOWN = 20


class Command(BaseCommand):
    help = "Create identities from a file of names: one per line, or a CSV file with a 'name' column."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A text file with one name per line, or a .csv file.")

    def handle(self, *args, file, **options):
        try:
            content = file.read_text(encoding="utf-8-sig")
            report = identity_names_import(names=identity_names_read(content, file.name), actor=None)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not a UTF-8 text file.") from None
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(report))
        self.names_show("Already existed", report.existing)
        self.names_show("Duplicates in the file", report.duplicates)
        self.names_show("Refused", report.refused)

    def names_show(self, heading: str, names: list[str]) -> None:
        if not names:
            return
        shown = ", ".join(names[:NAMES_SHOWN])
        more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        self.stdout.write(f"{heading} ({len(names)}): {shown}{more}")
