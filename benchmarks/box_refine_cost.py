"""What MTCNN's O-net adds to YuNet's detection time (pipeline.detection.OnetBoxRefiner).

Usage: .venv/bin/python benchmarks/box_refine_cost.py [--limit N] [DATA_DIR]

On N CelebA subset photos spread over the set (default 200), time YuNet's own network
on the copy it looks at and the O-net refinement of the boxes it keeps, photo by photo,
and print the median and 95th percentile of each, and of a 640x480 photo's whole
detect() (the recognition benchmark's size).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from crop_throughput import photos_list

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, default=200)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()
    import numpy as np
    from PIL import Image

    from pipeline.detection import detector_get, image_downscale

    detector = detector_get("yunet")
    photos = photos_list(arguments.data_dir / "celeba_subset" / "images", arguments.limit)
    print(f"{os.cpu_count()} CPUs; {len(photos)} photos")
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the start")
    network, refinement, whole = [], [], []
    for photo in photos:
        pixels = np.asarray(Image.open(photo).convert("RGB"))
        small, _ = image_downscale(pixels, detector.max_side)
        started = time.perf_counter()
        rows = detector._detect(np.ascontiguousarray(small[..., ::-1]))
        network.append(time.perf_counter() - started)
        boxes = np.array(
            [row[1:5] for row in rows.tolist() if row[0] >= 100 * detector.min_confidence], float
        )
        if len(boxes):
            started = time.perf_counter()
            detector._refiner.refine(small, boxes)
            refinement.append(time.perf_counter() - started)
        canvas = np.asarray(Image.fromarray(pixels).resize((640, 480)))
        started = time.perf_counter()
        detector.detect(canvas)
        whole.append(time.perf_counter() - started)
    print(f"YuNet's network: {percentiles(network)}")
    print(f"O-net refinement ({len(refinement)} photos with a face): {percentiles(refinement)}")
    print(f"detect() of the photo resized to 640x480: {percentiles(whole)}")
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
