"""Point Django at a benchmark's own database and scratch folder, then set it up."""

import os
import sys
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def django_setup(database_url: str, work_directory: Path, *, migrate: bool = True) -> None:
    """Use database_url and keep media and var files under work_directory; migrate unless told not to."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = str(work_directory / "media")
    os.environ["FACESITE_VAR_DIR"] = str(work_directory)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(PROJECT_ROOT))
    # A benchmark does not collect static files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def sqlite_url(work_directory: Path) -> str:
    """A throwaway SQLite database inside the work directory."""
    return f"sqlite:///{work_directory / 'benchmark.sqlite3'}"
