import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURES = Path(__file__).parents[1] / "fixtures"
# Fixture folder -> the folder name it is imported under (underscores become spaces).
PEOPLE = {"7221": "Jane_Doe", "7271": "John_Roe"}


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    """An import folder: two people with three photos each, and a README at the top."""
    root = tmp_path / "people"
    for fixture_folder, person_folder in PEOPLE.items():
        shutil.copytree(FIXTURES / "celeba" / fixture_folder, root / person_folder)
    (root / "README.txt").write_text("Photos of two people.\n")
    return root


@pytest.fixture
def person_folder(tmp_path) -> Path:
    """An empty import folder with one person's sub-folder; the folder is returned."""
    folder = tmp_path / "import" / "Jane_Doe"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def import_faces(db):
    """Run `manage.py import_faces` and return what it printed.

    Without --detector it runs the Haar cascade, the command's default when these tests
    were written, whose face counts on the fixtures they assert.
    """

    def run(path: Path, *options: str) -> str:
        if "--detector" not in options:
            options = (*options, "--detector", "haar")
        output = io.StringIO()
        call_command("import_faces", str(path), *options, stdout=output)
        return output.getvalue()

    return run
