import csv
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.datasets.builders import build, make_approved
from tests.factories import make_face, make_identity

MANIFEST_HEADER = ["face_id", "identity_id", "identity_name", "label", "split", "repeats", "file"]


@pytest.fixture
def dataset(db):
    make_approved("Ann Lee", 3)
    odd = make_identity("AC/DC: Live")
    for _ in range(3):
        make_face(odd, status="approved")
    return build(min_faces=3, per_identity=3)


def _rows(text: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == MANIFEST_HEADER
    return [dict(zip(MANIFEST_HEADER, row, strict=True)) for row in rows[1:]]


def _expected_paths(dataset) -> set[str]:
    folders = {"Ann Lee": "Ann Lee", "AC/DC: Live": "AC_DC_ Live"}
    return {
        f"{split}/{folders[name]}/{face_id}.jpg"
        for face_id, name, split in dataset.items.values_list("face_id", "identity_name", "split")
    }


def test_export_to_a_folder_writes_the_tree_and_the_manifest(dataset, tmp_path):
    out = tmp_path / "export"
    call_command("export_dataset", dataset.pk, out)
    files = {str(path.relative_to(out)) for path in out.rglob("*.jpg")}
    assert files == _expected_paths(dataset)
    rows = _rows((out / "manifest.csv").read_text())
    assert {row["file"] for row in rows} == files
    item = dataset.items.get(face_id=int(rows[0]["face_id"]))
    assert rows[0] == {
        "face_id": str(item.face_id),
        "identity_id": str(item.identity_id),
        "identity_name": item.identity_name,
        "label": str(item.label),
        "split": item.split,
        "repeats": str(item.repeats),
        "file": rows[0]["file"],
    }
    with default_storage.open(item.file, "rb") as stored:
        assert (out / rows[0]["file"]).read_bytes() == stored.read()
    with pytest.raises(CommandError, match="already exists"):
        call_command("export_dataset", dataset.pk, out)


def test_export_as_zip_from_the_command_and_the_download_button(dataset, tmp_path, admin_web):
    out = tmp_path / "export.zip"
    call_command("export_dataset", dataset.pk, out, "--zip")
    response = admin_web.get(reverse("dataset_download", args=[dataset.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="dataset-{dataset.pk}.zip"'
    downloaded = b"".join(response.streaming_content)
    for archive in (zipfile.ZipFile(out), zipfile.ZipFile(io.BytesIO(downloaded))):
        names = set(archive.namelist())
        assert names == _expected_paths(dataset) | {"manifest.csv"}
        assert len(_rows(archive.read("manifest.csv").decode())) == 6
    assert not list(tmp_path.glob(".export.zip.*"))
