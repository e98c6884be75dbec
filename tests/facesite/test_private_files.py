"""What the site stores under var/ is readable by the account that runs it, nobody else."""

import contextlib
import os
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.facesite.launching import job_done_by_the_worker, running_site


@contextlib.contextmanager
def umask(mask: int):
    """A permissive umask, as most accounts have, so only the site's own care counts."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_run_creates_var_and_everything_in_it_private(tmp_path):
    with umask(0o022), running_site(tmp_path) as site:
        assert job_done_by_the_worker(site) == 4.0
    var_dir = site.var_dir
    modes = {str(path.relative_to(var_dir)): mode(path) for path in [var_dir, *var_dir.rglob("*")]}
    assert modes["."] == 0o700
    assert modes["secret_key"] == 0o600
    assert modes["facesite.sqlite3"] == 0o600
    assert {name for name in modes if name.startswith("redis/")}, "Redis wrote no files"
    readable_by_others = {name: oct(value) for name, value in modes.items() if value & 0o077}
    assert readable_by_others == {}


@pytest.mark.django_db
def test_stored_images_and_their_folders_are_private(tmp_path):
    with umask(0o022):
        name = default_storage.save("ab/cd/face.jpg", ContentFile(b"not really a jpeg"))
    media = Path(settings.MEDIA_ROOT)
    assert mode(media / name) == 0o600
    assert [mode(folder) for folder in (media, media / "ab", media / "ab" / "cd")] == [0o700] * 3
