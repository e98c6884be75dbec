"""Writing local files so that a reader never sees half of one."""

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed onto `path` when the block ends,
    removed if it raises.

    The temporary name keeps the suffix, since writers such as Keras, NumPy and
    Matplotlib choose the format by it. A rename within one folder is atomic, so a
    reader (another process, or the next run after a crash) finds the old file or the
    whole new one.
    """
    path = Path(path)
    partial = path.with_name(f"{path.stem}.partial{path.suffix}")
    try:
        yield partial
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
