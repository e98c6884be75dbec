"""What warming a web process up costs (FACESITE_WARM_MODELS), and what it saves.

Usage: .venv/bin/python benchmarks/warm_up.py

Two fresh processes, each importing facesite.wsgi as a web server does, then detecting
and embedding the faces of a fixture photo as the first recognition would:
1. with the warm-up: how soon the import returns, how long the background thread takes
   and how much resident memory it adds, then the first recognition's detect + embed;
2. without it (FACESITE_WARM_MODELS=0): the first recognition's detect + embed.
Each runs against a throwaway SQLite database in a temporary directory.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PHOTO = PROJECT_DIR / "tests" / "fixtures" / "celeba" / "7221" / "025916.jpg"

MEASURE = """
import json, os, resource, sys, threading, time
sys.path.insert(0, {project!r})

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 2**20

started = time.perf_counter()
import facesite.wsgi
figures = {{"import_seconds": time.perf_counter() - started, "rss_before_mib": rss()}}
warmers = [thread for thread in threading.enumerate() if thread.name == "facesite-warm-up"]
for thread in warmers:
    thread.join()
figures["warm_up_seconds"] = time.perf_counter() - started - figures["import_seconds"] if warmers else 0.0
figures["rss_after_warm_up_mib"] = rss()

import numpy as np
from PIL import Image
from recognition.embedders.facenet import facenet_embedder
from recognition.services.uploads import photo_faces

pixels = np.asarray(Image.open({photo!r}).convert("RGB"))
started = time.perf_counter()
faces = photo_faces(pixels)
facenet_embedder().embed_chips([facenet_embedder().chip(pixels, face) for face in faces])
figures["first_detect_and_embed_seconds"] = time.perf_counter() - started
figures["rss_after_first_recognition_mib"] = rss()
print(json.dumps(figures))
"""


def measure(warm: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="facesite-warm-up-") as work:
        environment = os.environ | {
            "DJANGO_SETTINGS_MODULE": "facesite.settings",
            "DATABASE_URL": f"sqlite:///{work}/benchmark.sqlite3",
            "FACESITE_VAR_DIR": work,
            "FACESITE_WARM_MODELS": "1" if warm else "0",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        script = MEASURE.format(project=str(PROJECT_DIR), photo=str(PHOTO))
        output = subprocess.run(
            [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    warm, cold = measure(warm=True), measure(warm=False)
    print(
        f"wsgi import returns after     {warm['import_seconds']:.1f} s (warm-up then runs in the background)"
    )
    print(f"background warm-up takes      {warm['warm_up_seconds']:.1f} s")
    before, after = warm["rss_before_mib"], warm["rss_after_warm_up_mib"]
    print(f"resident memory               {before} MiB -> {after} MiB (+{after - before})")
    print(f"first detect + embed, warm    {warm['first_detect_and_embed_seconds']:.2f} s")
    print(f"first detect + embed, cold    {cold['first_detect_and_embed_seconds']:.2f} s")
    print(f"memory after it, cold         {cold['rss_after_first_recognition_mib']} MiB")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
