"""Create many identities at once from a list of names, as a file or a pasted list gives them."""

import csv
import io
from dataclasses import dataclass, field

from facesite.errors import FacesiteError
from identities.models import Identity
from identities.services import identity_create, identity_name_clean, identity_name_normalize


@dataclass
class NameImportReport:
    """What happened to each name: created, already there, repeated, blank or refused."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    blank: int = 0
    # Names that could not be used (too long, say), each with the reason.
    refused: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.existing)} already existed, "
            f"{len(self.duplicates)} duplicates in the list, {self.blank} blank, {len(self.refused)} refused."
        )


def identity_names_read(content: str, filename: str = "") -> list[str]:
    """The raw names in a file: one per line, or the `name` column of a CSV file.

    A file is read as CSV when its name ends in .csv or its first line is `name`.
    Blank names are kept, so the import can report them.
    """
    content = content.removeprefix("\ufeff")
    lines = content.splitlines()
    is_csv = filename.lower().endswith(".csv") or (lines and lines[0].strip().lower() == "name")
    if not is_csv:
        return lines
    reader = csv.DictReader(io.StringIO(content))
    columns = {column.strip().lower(): column for column in reader.fieldnames or []}
    if "name" not in columns:
        raise FacesiteError("The CSV file has no 'name' column.")
    return [row[columns["name"]] or "" for row in reader]


def identity_names_import(*, names: list[str], actor) -> NameImportReport:
    """Create an identity for each new name; report blanks, repeats and existing names.

    1. Normalise each name as identity names are; a blank one is counted.
    2. A name met earlier in the list (in any case) is a duplicate.
    3. A name an identity already has (in any case) is reported, not created.
    4. Otherwise the identity is created; a name refused (too long, a control character)
       is reported with why.
    """
    report = NameImportReport()
    seen: set[str] = set()
    for raw_name in names:
        if not identity_name_normalize(raw_name):
            report.blank += 1
            continue
        try:
            name = identity_name_clean(raw_name)
        except FacesiteError as error:
            # Checked before the lookup below, which a name of a megabyte would break.
            report.refused.append(str(error))
            continue
        if name.casefold() in seen:
            report.duplicates.append(name)
            continue
        seen.add(name.casefold())
        existing = Identity.objects.filter(name__iexact=name).first()
        if existing:
            report.existing.append(existing.name)
            continue
        try:
            report.created.append(identity_create(name=name, actor=actor).name)
        except FacesiteError as error:
            report.refused.append(str(error))
    return report
