"""A dataset export's manifest.csv never hands a spreadsheet a formula to run."""

import csv
import io
import zipfile

from django.core.management import call_command

from tests.datasets.builders import build, make_approved

FORMULA_NAMES = [
    '=HYPERLINK("http://example.com/?leak","click")',
    "+1 234",
    "-2+3",
    "@SUM(A1)",
    "\tTab Start",
]


def test_names_that_look_like_formulas_are_written_as_text(db, tmp_path):
    for name in [*FORMULA_NAMES, "Ann Lee"]:
        make_approved(name, 3)
    dataset = build(min_faces=3, per_identity=3)
    out = tmp_path / "export.zip"
    call_command("export_dataset", dataset.pk, out, "--zip")
    rows = list(csv.DictReader(io.StringIO(zipfile.ZipFile(out).read("manifest.csv").decode())))
    names = {row["identity_name"] for row in rows}
    assert names == {f"'{name}" for name in FORMULA_NAMES} | {"Ann Lee"}
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
