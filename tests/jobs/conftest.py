import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.jobs.search_site import SearchSite, face_photos, troubled_results

BASE_DIR = Path(__file__).parents[2]
# The tests' image size limit: every fixture photo is under it, the "huge" file over it.
MAX_IMAGE_BYTES = 100_000
# What scraping "Jane Doe" from the test site gives (see troubled_results).
EXPECTED_URLS = 20
EXPECTED_IMAGES = 13
EXPECTED_FAILURES = {
    "dead link": 1,
    "timeout": 1,
    "not an image": 1,
    "too large": 1,
    "server error": 1,
    "connection error": 1,
}


@pytest.fixture
def image_limit(settings):
    settings.FACESITE_MAX_IMAGE_BYTES = MAX_IMAGE_BYTES
    return MAX_IMAGE_BYTES


@pytest.fixture
def search_site(image_limit, settings, monkeypatch):
    """The test search site on 127.0.0.1, which scraping reaches only with private addresses allowed.

    The environment variable reaches worker subprocesses; the setting, this process.
    """
    monkeypatch.setenv("FACESITE_SCRAPE_ALLOW_PRIVATE", "1")
    settings.FACESITE_SCRAPE_ALLOW_PRIVATE = True
    site = SearchSite({"Jane Doe": troubled_results(face_photos(), too_large_bytes=2 * image_limit)})
    site.start()
    yield site
    site.stop()


@pytest.fixture
def scrape_providers(search_site, tmp_path, monkeypatch, settings) -> Path:
    """The test site's providers, configured the documented way: a JSON file named in the environment.

    The environment variable reaches worker subprocesses; the setting, this process.
    """
    providers_file = tmp_path / "providers.json"
    providers_file.write_text(json.dumps(search_site.providers()))
    monkeypatch.setenv("FACESITE_SCRAPE_PROVIDERS", str(providers_file))
    settings.FACESITE_SCRAPE_PROVIDERS = str(providers_file)
    return providers_file


def media_files(media_root: Path) -> set[str]:
    return {
        str(path.relative_to(media_root))
        for path in media_root.rglob("*")
        if path.is_file() and not path.name.startswith(".incoming-")
    }


def _test_database_url() -> str:
    """A DATABASE_URL naming the database this test session uses (not the configured one)."""
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"] or "")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"])
    host, port = database["HOST"] or "localhost", database["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


class WorkerProcess:
    """`manage.py rqworker` in a process of its own, on the test database, Redis and media folder."""

    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def horse_pid(self, timeout: float = 30) -> int:
        """The process id of the work horse the worker forked for its current job."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = children.read_text().split()
            if pids:
                return int(pids[0])
            time.sleep(0.05)
        raise AssertionError(f"The worker forked no work horse; its log:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and everything it started, as a machine that loses power would."""
        for pid in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split():
            os.killpg(int(pid), signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def worker_process(rq_queues, redis_url, settings, scrape_providers, tmp_path):
    """A real RQ worker for the scrape and process queues, in its own process."""
    environment = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "FACESITE_MAX_IMAGE_BYTES": str(settings.FACESITE_MAX_IMAGE_BYTES),
        "FACESITE_VAR_DIR": str(tmp_path / "worker-var"),
        "SECRET_KEY": "worker-process-in-tests",
        # Unbuffered, so the work horse does not repeat what the worker had not written yet.
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "scrape", "process"],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(process, log_path)
    yield worker
    worker.stop()


def wait_for(condition, timeout: float = 60, message: str = "condition"):
    """Poll until condition() returns something true, and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {message}.")
