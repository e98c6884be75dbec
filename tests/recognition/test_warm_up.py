"""A web process loads the networks in the background once it has started, not on the first request."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WEB_PROCESS = """
import gc
import threading
import facesite.wsgi
from pipeline.detection import _detector_instance
from recognition.embedders.facenet import facenet_embedder

(warm_up,) = [thread for thread in threading.enumerate() if thread.name == "facesite-warm-up"]
print("serving while warming:", warm_up.is_alive(), flush=True)
warm_up.join()
print("detector loaded:", _detector_instance.cache_info().currsize == 1)
print("facenet loaded:", facenet_embedder()._session is not None)
print("loaded objects frozen for the collector:", gc.get_freeze_count() > 100_000)
"""


def test_the_web_process_warms_detector_and_facenet_in_the_background(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | {
        "FACESITE_VAR_DIR": str(tmp_path),
        "FACESITE_WARM_MODELS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    finished = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines() == [
        "serving while warming: True",
        "detector loaded: True",
        "facenet loaded: True",
        "loaded objects frozen for the collector: True",
    ]
    assert "Warmed up with recognition.services.warmup.models_warm in" in finished.stderr
