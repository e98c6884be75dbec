import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from facesite.env import envbool, envint

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_boolean_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("DEBUG", value)
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be one of"):
        envbool("DEBUG", False)


def test_a_bad_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("FACESITE_CROP_SIZE", "big")
    with pytest.raises(ImproperlyConfigured, match="FACESITE_CROP_SIZE must be a whole number"):
        envint("FACESITE_CROP_SIZE", 160)
    monkeypatch.setenv("FACESITE_CROP_SIZE", "4")
    with pytest.raises(ImproperlyConfigured, match="at least 16"):
        envint("FACESITE_CROP_SIZE", 160, minimum=16)


def manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | environment
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        SECURE_SSL="1",
        ALLOWED_HOSTS="faces.example.org",
        FACESITE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_bad_setting_stops_the_process_with_a_message(tmp_path):
    result = manage("check", DEBUG="perhaps", FACESITE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_storage_options_must_be_a_json_object(tmp_path):
    result = manage("check", FILE_STORAGE_OPTIONS="[1, 2]", FACESITE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "FILE_STORAGE_OPTIONS must be a JSON object" in result.stderr


def test_a_site_process_runs_numpy_without_busy_waiting_blas_threads():
    environment = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'facesite.settings');"
        "django.setup(); import numpy; numpy.ones((500, 500)) @ numpy.ones((500, 500));"
        "print(len(os.listdir('/proc/self/task')))"
    )
    started = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "1"
