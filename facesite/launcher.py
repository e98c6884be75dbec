"""The process launcher behind `make run`: Redis, one RQ worker and the web server."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from facesite.errors import FacesiteError
from facesite.redis_server import redis_server_start

ALL_QUEUES = ["default", "process", "scrape", "train"]
# A child that dies more often than this within RESTART_WINDOW_SECONDS is not restarted
# again: it fails at start (a bad setting, a port in use), and the launcher stops.
RESTARTS_ALLOWED = 3
RESTART_WINDOW_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


def var_dir_make_private() -> None:
    """Make everything the site creates from now on readable by its own account only.

    The umask covers what this process and its children create (the database, Redis'
    files, logs, model files); var/ itself is narrowed too, which also hides files an
    older version created with wider modes.
    """
    os.umask(0o077)
    settings.VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.VAR_DIR.chmod(0o700)


@dataclass
class Child:
    """One supervised process: how to start it, and the times it was restarted."""

    name: str
    start: Callable[[], subprocess.Popen]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def may_restart(self) -> bool:
        recent = [moment for moment in self.restarts if time.monotonic() - moment < RESTART_WINDOW_SECONDS]
        self.restarts = recent
        return len(recent) < RESTARTS_ALLOWED


class Launcher:
    """Starts the processes in order, restarts one that dies, and stops them in reverse
    on Ctrl-C (or when one keeps dying)."""

    def __init__(self, *, host: str, port: int, out=sys.stdout) -> None:
        self.host = host
        self.port = port
        self.out = out
        self.children: list[Child] = []

    def start(self) -> None:
        if settings.REDIS_URL.startswith(f"unix://{settings.REDIS_SOCKET}"):
            log_dir = settings.VAR_DIR / "log"
            log_dir.mkdir(parents=True, exist_ok=True)
            self._start(
                "redis",
                lambda: redis_server_start(
                    settings.REDIS_SOCKET, settings.VAR_DIR / "redis", log_dir / "redis.log"
                ),
            )
            self.out.write(f"Redis on {settings.REDIS_SOCKET}\n")
        python = sys.executable
        self._start("worker", _spawner([python, "manage.py", "rqworker", *ALL_QUEUES]))
        self._start(
            "web",
            _spawner([
                python, "-m", "gunicorn", "facesite.wsgi",
                "--bind", f"{self.host}:{self.port}",
                "--workers", "2", "--threads", "4",
                "--graceful-timeout", "5",
                "--access-logfile", "-",
                "--no-control-socket",
            ]),
        )  # fmt: skip
        self.out.write(f"facesite is running on http://{self.host}:{self.port}/ (Ctrl-C stops it)\n")
        self.out.flush()

    def _start(self, name: str, start: Callable[[], subprocess.Popen]) -> None:
        child = Child(name=name, start=start)
        child.process = start()
        self.children.append(child)

    def wait(self) -> int:
        """Block until Ctrl-C or SIGTERM (0), restarting children that die; 1 when one
        keeps dying or cannot be started again."""
        stop_requested = False

        def request_stop(signum, frame):
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stop_requested:
            for child in self.children:
                if child.process.poll() is not None and not self._restart(child):
                    return 1
            time.sleep(0.2)
        return 0

    def _restart(self, child: Child) -> bool:
        code = child.process.returncode
        if not child.may_restart():
            self._say(f"The {child.name} process exited (code {code}) again; stopping.")
            return False
        self._say(f"The {child.name} process exited (code {code}); restarting it.")
        child.restarts.append(time.monotonic())
        try:
            child.process = child.start()
        except (FacesiteError, OSError) as error:
            self._say(f"The {child.name} process could not be started again ({error}); stopping.")
            return False
        return True

    def stop(self) -> None:
        for child in reversed(self.children):
            _stop_process(child, self._say)
        self._say("Stopped.")

    def _say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


def _spawner(command: list[str]) -> Callable[[], subprocess.Popen]:
    # A session of its own: Ctrl-C reaches only the launcher, which stops the children
    # in order (web first, Redis last) instead of all at once.
    return lambda: subprocess.Popen(command, start_new_session=True)


def _stop_process(child: Child, say: Callable[[str], None]) -> None:
    """Ask twice, then kill.

    The first SIGTERM is a warm shutdown, which an RQ worker answers by finishing its
    job first (hours, for training); the second is RQ's cold shutdown, which ends the
    work horse too. The job is then shown as stopped by a lost worker, and Retry resumes it.
    """
    process = child.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=2)
        return
    except subprocess.TimeoutExpired:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        say(f"The {child.name} process did not stop in {STOP_TIMEOUT_SECONDS} s; killing it.")
        process.kill()
        process.wait()
