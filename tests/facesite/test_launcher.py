"""`make run`'s launcher: everything starts, the worker works, Ctrl-C stops it all cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from rq import Queue

REPO = Path(__file__).resolve().parents[2]


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
        if job.get_status(refresh=True) == "finished":
            return job.return_value()
        time.sleep(0.2)
    raise AssertionError(f"the job is still {job.get_status()} after {timeout} s")


def test_run_starts_redis_worker_and_web_then_stops_on_ctrl_c(tmp_path):
    port = free_port()
    environment = {
        key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}
    }
    environment |= {
        "FACESITE_VAR_DIR": str(tmp_path),
        "FACESITE_ADMIN_PASSWORD": "launch-test-password",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "launcher.log").open("w+")
    launcher = subprocess.Popen(
        [sys.executable, "manage.py", "run", "--port", str(port)],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for_page(f"http://127.0.0.1:{port}/login/", launcher) == 200
        connection = redis.Redis(unix_socket_path=str(tmp_path / "redis.sock"))
        assert connection.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        job = Queue("default", connection=connection).enqueue("math.sqrt", 16)
        assert wait_for_result(job) == 4.0
    finally:
        launcher.send_signal(signal.SIGINT)
        exit_code = launcher.wait(timeout=60)
    log.seek(0)
    output = log.read()
    assert exit_code == 0, output
    assert "Log in as 'admin'" in output
    assert "Stopped." in output
    assert not (tmp_path / "redis.sock").exists(), "Redis did not shut down"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the web server is still listening"
