"""Writing local files so that a reader never sees half of one."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: Path | str, *, durable: bool = False) -> Iterator[Path]:
    """A new temporary file beside `path` to write to; renamed onto `path` when the block
    ends, removed if it raises.

    A rename within one folder is atomic, so a reader (another process, or the next run
    after a crash) finds the old file or the whole new one. The temporary name is unique,
    so two writers of one path never write into the same file, and it keeps the suffix,
    since writers such as Keras, NumPy and Matplotlib choose the format by it. With
    `durable`, the data reaches the disk before the rename, so a power cut cannot leave
    the final name pointing at an empty file.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        if durable:
            with partial.open("rb+") as written:
                os.fsync(written.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
