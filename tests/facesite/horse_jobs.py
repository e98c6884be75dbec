"""Jobs the launcher tests enqueue; the site's worker imports them by name."""

import os
import time
from pathlib import Path


def write_pid_and_sleep(pid_file: str, seconds: float) -> None:
    """Stand in for a long training run: say which process runs it, then take long."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)
