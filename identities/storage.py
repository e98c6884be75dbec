"""Content-addressed file storage for images.

Files are named by the SHA-256 of their bytes (`ab/cd/<sha256>.<ext>`), so the same
bytes are stored once and a name always means the same content. All access goes
through Django's storage API, so S3-compatible storage works without code changes.
"""

import hashlib
import os
import tempfile

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that never leaves a half-written file under a final name.

    Django's FileSystemStorage writes in place; here each file is written to a temp
    file in the target directory, flushed to disk, then renamed over the final name.
    """

    def get_available_name(self, name, max_length=None):
        # Content-addressed names: an existing file already holds these exact bytes.
        return name

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        file_descriptor, temp_path = tempfile.mkstemp(dir=directory, prefix=".incoming-")
        try:
            with os.fdopen(file_descriptor, "wb") as temp_file:
                for chunk in content.chunks():
                    temp_file.write(chunk)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            os.chmod(temp_path, self.file_permissions_mode or 0o644)
            os.replace(temp_path, full_path)
        except BaseException:
            os.unlink(temp_path)
            raise
        return name


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
