from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from identities.storage import content_name, content_store, sha256_hex


def test_files_are_named_by_content_and_stored_once(settings):
    first = content_store(b"same bytes", "jpg")
    second = content_store(b"same bytes", "jpg")
    digest = sha256_hex(b"same bytes")
    assert first == second == f"{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert default_storage.open(first).read() == b"same bytes"
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.jpg"))) == 1


class BrokenUpload(ContentFile):
    """A file whose reading fails halfway, as when a worker dies or a disk fills."""

    def chunks(self, chunk_size=None):
        yield b"first half"
        raise OSError("disk full")


def test_a_failed_write_leaves_no_file_under_the_final_name(settings):
    name = content_name(sha256_hex(b"whole"), "jpg")
    with pytest.raises(OSError, match="disk full"):
        default_storage.save(name, BrokenUpload(b"whole"))
    assert not default_storage.exists(name)
    leftovers = [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert leftovers == []
