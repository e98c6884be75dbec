"""Content-addressed file storage for images.

Files are named by the SHA-256 of their bytes (`ab/cd/<sha256>.<ext>`), so the same
bytes are stored once and a name always means the same content. All access goes
through Django's storage API, so S3-compatible storage works without code changes.
"""

import hashlib
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from facesite.files import atomic_path

# Without FILE_UPLOAD_PERMISSIONS / FILE_UPLOAD_DIRECTORY_PERMISSIONS, stored images are
# still readable by their owner alone.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that never leaves a half-written file under a final name.

    Django's FileSystemStorage writes in place; here each file is written to a temp
    file in the target directory, flushed to disk, then renamed over the final name
    (facesite.files.atomic_path).
    """

    def get_available_name(self, name, max_length=None):
        # Content-addressed names: an existing file already holds these exact bytes.
        return name

    def _save(self, name, content):
        full_path = Path(self.path(name))
        self._make_directories(full_path.parent)
        with atomic_path(full_path, durable=True) as partial:
            with partial.open("wb") as written:
                for chunk in content.chunks():
                    written.write(chunk)
            partial.chmod(self.file_permissions_mode or PRIVATE_FILE_MODE)
        return name

    def _make_directories(self, directory: Path) -> None:
        """Create `directory` and its missing parents, each with the private mode from
        the start (Path.mkdir gives a mode to the last folder only)."""
        mode = self.directory_permissions_mode or PRIVATE_DIRECTORY_MODE
        missing = []
        while not directory.exists():
            missing.append(directory)
            directory = directory.parent
        for folder in reversed(missing):
            folder.mkdir(mode=mode, exist_ok=True)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_name(sha256: str, extension: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def content_store(data: bytes, extension: str) -> str:
    """Store bytes under their content address and return the storage name."""
    name = content_name(sha256_hex(data), extension)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    return name
