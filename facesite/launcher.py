"""The process launcher behind `make run`: Redis, one RQ worker and the web server."""

import signal
import subprocess
import sys
import time

from django.conf import settings

from facesite.redis_server import redis_server_start

ALL_QUEUES = ["default", "process", "scrape", "train"]


class Launcher:
    """Starts the processes in order and stops them in reverse, on Ctrl-C or if one dies."""

    def __init__(self, *, host: str, port: int, out=sys.stdout) -> None:
        self.host = host
        self.port = port
        self.out = out
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(self) -> None:
        if settings.REDIS_URL.startswith(f"unix://{settings.REDIS_SOCKET}"):
            log_dir = settings.VAR_DIR / "log"
            log_dir.mkdir(parents=True, exist_ok=True)
            redis_process = redis_server_start(
                settings.REDIS_SOCKET, settings.VAR_DIR / "redis", log_dir / "redis.log"
            )
            self.processes.append(("redis", redis_process))
            self.out.write(f"Redis on {settings.REDIS_SOCKET}\n")
        python = sys.executable
        self._spawn("worker", [python, "manage.py", "rqworker", *ALL_QUEUES])
        self._spawn(
            "web",
            [
                python, "-m", "gunicorn", "facesite.wsgi",
                "--bind", f"{self.host}:{self.port}",
                "--workers", "2", "--threads", "4",
                "--graceful-timeout", "5",
                "--access-logfile", "-",
                "--no-control-socket",
            ],
        )  # fmt: skip
        self.out.write(f"facesite is running on http://{self.host}:{self.port}/ (Ctrl-C stops it)\n")
        self.out.flush()

    def _spawn(self, name: str, command: list[str]) -> None:
        # A session of its own: Ctrl-C reaches only the launcher, which stops the
        # children in order (web first, Redis last) instead of all at once.
        self.processes.append((name, subprocess.Popen(command, start_new_session=True)))

    def wait(self) -> int:
        """Block until Ctrl-C, SIGTERM, or a child exits; return the exit code."""
        stop_requested = False

        def request_stop(signum, frame):
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stop_requested:
            for name, process in self.processes:
                if process.poll() is not None:
                    self.out.write(f"The {name} process exited (code {process.returncode}); stopping.\n")
                    return 1
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.out.write(f"The {name} process did not stop in 15 s; killing it.\n")
                    process.kill()
                    process.wait()
        self.out.write("Stopped.\n")
