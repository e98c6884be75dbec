"""Why YuNet is slower inside the recognition process than on its own: one photo, timed per call.

    .venv/bin/python benchmarks/detect_in_process.py [--runs 40] [--rounds 2] [--threads 1,2]

Each setting runs in a fresh child process, the settings taking turns round by round so a
change in the machine's load falls on each alike. A child times yuface's own detect() on
the recognition benchmark's 640x480 photo (BGR, contiguous, as YunetDetector hands it on):

- fresh: only yuface loaded;
- loaded: after loading TensorFlow, FaceNet (one warm-up run), O-net and MTCNN;
- facenet: each detect() right after a FaceNet embedding of one chip, as recognition runs;
- mtcnn: each detect() right after an MTCNN detection and a FaceNet embedding, as
  recognition_latency.py --detectors mtcnn,yunet runs them in one process;
- detector: YunetDetector.detect() after a FaceNet embedding, with O-net timed apart;
- recognize: the whole photo_recognize() with YuNet against a gallery of 10,000 random
  faces (recognition_latency.py's run), YuNet and O-net timed inside it. numpy is loaded
  here before the site's settings, so OpenBLAS keeps the environment's thread count:
  compare with --env OPENBLAS_NUM_THREADS=1, the settings' default.

For each it prints the median and 95th percentile of the wall time, of the CPU time of the
calling thread, and of the CPU time of the whole process over the call (other threads'
work, e.g. spinning thread pools, shows there), with the minor page faults per call.
"""

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODES = ("fresh", "loaded", "facenet", "mtcnn", "detector", "recognize")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--threads", default="1", help="yuface OpenMP threads to compare, e.g. 1,2")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        help="NAME=VALUE[,NAME=VALUE] for a child, compared with none; may repeat",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


class CallTimer:
    """Wall time, this thread's CPU time, the process's CPU time and minor faults of calls."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float, float, int]] = []

    def __call__(self, function, *args):
        faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        process, thread, wall = time.process_time(), time.thread_time(), time.perf_counter()
        value = function(*args)
        self.samples.append(
            (
                (time.perf_counter() - wall) * 1000,
                (time.thread_time() - thread) * 1000,
                (time.process_time() - process) * 1000,
                resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - faults,
            )
        )
        return value


def child(mode: str, threads: int, runs: int) -> dict:
    sys.path.insert(0, str(PROJECT_ROOT))
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    import numpy as np
    from PIL import Image
    from recognition_latency import DEFAULT_PHOTO, photo_compose

    pixels = np.asarray(Image.open(io.BytesIO(photo_compose(DEFAULT_PHOTO))).convert("RGB"))
    bgr = np.ascontiguousarray(pixels[..., ::-1])
    from pipeline import detection

    detection.YunetDetector.threads = threads
    yunet_detect = detection._yuface_load(threads)
    before: list = []
    if mode == "recognize":
        return recognize_child(photo_compose(DEFAULT_PHOTO), yunet_detect, runs)
    if mode != "fresh":
        from recognition.ml.facenet import FaceNetGraph

        facenet = FaceNetGraph()
        chip = np.ascontiguousarray(pixels[100:260, 240:400])
        facenet.embed_chips([chip])
        mtcnn = detection.MtcnnDetector()
        mtcnn.detect(pixels)
        yunet = detection.YunetDetector()
        yunet.detect(pixels)
        if mode == "facenet":
            before = [lambda: facenet.embed_chips([chip])]
        elif mode == "mtcnn":
            before = [lambda: mtcnn.detect(pixels), lambda: facenet.embed_chips([chip])]
        elif mode == "detector":
            before = [lambda: facenet.embed_chips([chip])]
    timers = {"yuface": CallTimer()}
    if mode == "detector":
        timers = {"yuface": CallTimer(), "onet": CallTimer(), "detect()": CallTimer()}
        refine = yunet._refiner.refine
        yunet._refiner.refine = lambda *refine_args: timers["onet"](refine, *refine_args)
        yunet._detect = lambda image: timers["yuface"](yunet_detect, image)
    for run in range(runs + 3):
        for step in before:
            step()
        if mode == "detector":
            timers["detect()"](yunet.detect, pixels)
        else:
            timers["yuface"](yunet_detect, bgr)
        if run < 3:
            # The first calls are warm-up: dropped from every timer.
            for timer in timers.values():
                timer.samples.clear()
    return {name: timer.samples for name, timer in timers.items()}


def recognize_child(data: bytes, yunet_detect, runs: int) -> dict:
    """The recognize service run by run, as recognition_latency.py --detectors yunet runs it."""
    import tempfile
    from unittest import mock

    from bench_django import django_setup, sqlite_url
    from gallery_search import populate

    work_directory = Path(tempfile.mkdtemp(prefix="facesite-bench-"))
    django_setup(sqlite_url(work_directory), work_directory)
    from django.contrib.auth import get_user_model

    from pipeline.detection import detector_get
    from recognition.services import uploads

    populate(10_000, 10)
    user = get_user_model().objects.create_user("bench")
    yunet = detector_get("yunet")
    timers = {"yuface": CallTimer(), "onet": CallTimer(), "detect()": CallTimer(), "recognize": CallTimer()}
    refine = yunet._refiner.refine
    yunet._refiner.refine = lambda *refine_args: timers["onet"](refine, *refine_args)
    yunet._detect = lambda image: timers["yuface"](yunet_detect, image)
    detect = yunet.detect
    yunet.detect = lambda image: timers["detect()"](detect, image)
    with mock.patch.object(uploads, "RECOGNITION_DETECTOR", "yunet"):
        for run in range(runs + 3):
            timers["recognize"](lambda: uploads.photo_recognize(data=data, user=user, keep=False))
            if run < 3:
                for timer in timers.values():
                    timer.samples.clear()
    return {name: timer.samples for name, timer in timers.items()}


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    options = arguments()
    if options.child:
        mode, threads = options.child.split(":")
        print(json.dumps(child(mode, int(threads), options.runs)))
        return
    environments = [{}] + [dict(item.split("=", 1) for item in each.split(",")) for each in options.env]
    settings = [
        (mode, threads, environment)
        for environment in environments
        for threads in [int(each) for each in options.threads.split(",")]
        for mode in options.modes.split(",")
    ]
    results: dict[int, dict[str, list]] = {index: {} for index in range(len(settings))}
    for round_number in range(options.rounds):
        for index, (mode, threads, environment) in enumerate(settings):
            command = [sys.executable, __file__, "--child", f"{mode}:{threads}", "--runs", str(options.runs)]
            environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **environment}
            output = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
            for name, samples in json.loads(output.stdout.splitlines()[-1]).items():
                results[index].setdefault(name, []).extend(samples)
        print(f"round {round_number + 1} done, load average {os.getloadavg()[0]:.2f}", flush=True)
    print(f"\n{options.rounds} rounds x {options.runs} calls; ms p50/p95; faults p50 per call")
    print(f"{'setting':<44} {'timed':<9} {'wall':>13} {'thread CPU':>13} {'process CPU':>13} {'faults':>7}")
    for index, (mode, threads, environment) in enumerate(settings):
        label = f"{mode}, {threads} thread{'s' if threads > 1 else ''}"
        label += "".join(f", {name}={value}" for name, value in environment.items())
        for name, samples in results[index].items():
            columns = list(zip(*samples, strict=True))
            figures = [percentiles(column) for column in columns[:3]]
            cells = " ".join(f"{p50:6.1f}/{p95:6.1f}" for p50, p95 in figures)
            print(f"{label:<44} {name:<9} {cells} {statistics.median(columns[3]):7.0f}")
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
