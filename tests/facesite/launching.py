"""Running `manage.py run` in a test: a private var/ folder, a free port, its output in a file."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
from rq import Queue

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningSite:
    process: subprocess.Popen
    port: int
    var_dir: Path
    log_path: Path

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.var_dir / "redis.sock"))

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        """Ctrl-C, then the launcher's exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=90)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_page(url: str, process: subprocess.Popen, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the launcher exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def wait_for_result(job, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.ConnectionError):
            if job.get_status(refresh=True) == "finished":
                return job.return_value()
        time.sleep(0.2)
    raise AssertionError(f"the job is still {job.get_status()} after {timeout} s")


def job_done_by_the_worker(site: RunningSite, timeout: float = 60) -> float:
    """Enqueue sqrt(16) and wait for a worker to answer it."""
    job = Queue("default", connection=site.redis).enqueue("math.sqrt", 16)
    return wait_for_result(job, timeout)


@contextlib.contextmanager
def running_site(tmp_path: Path, **environment: str) -> Iterator[RunningSite]:
    """Start `manage.py run` on a free port with var/ in tmp_path; Ctrl-C it afterwards."""
    port = free_port()
    inherited = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    var_dir = tmp_path / "var"
    log_path = tmp_path / "launcher.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run", "--port", str(port)],
            cwd=REPO,
            env=inherited
            | {
                "FACESITE_VAR_DIR": str(var_dir),
                "FACESITE_ADMIN_PASSWORD": "launch-test-password",
                "PYTHONUNBUFFERED": "1",
                # Each web process would load TensorFlow's networks, which these tests never use.
                "FACESITE_WARM_MODELS": "0",
                **environment,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    site = RunningSite(process=process, port=port, var_dir=var_dir, log_path=log_path)
    try:
        wait_for_page(f"http://127.0.0.1:{port}/login/", process)
        yield site
    finally:
        site.stop()
