"""FaceNet embeddings per second, one face per call against the batches the gallery job uses.

Usage: .venv/bin/python benchmarks/embed_batch.py [--faces N] [DATA_DIR]

The gallery job (recognition/gallery/sync.py), which embeds the faces an import or a
review approves, hands FaceNet SYNC_BATCH stored crops at a time, run as batches of
BATCH_SIZE. This compares that with embedding the same chips one call each:

1. Cut N chips from CelebA subset photos (YuNet boxes, as import_faces finds them).
2. Warm up both ways, then time one call per chip and one embed_chips() call for all,
   taking turns three times so a change in the machine's load falls on both alike.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"


def chips_cut(images_dir: Path, count: int) -> list:
    import numpy as np
    from PIL import Image

    from pipeline.detection import detector_get
    from recognition.embedders.facenet import facenet_embedder

    detector, embedder, chips = detector_get("yunet"), facenet_embedder(), []
    for photo in sorted(images_dir.rglob("*.jpg")):
        pixels = np.asarray(Image.open(photo).convert("RGB"))
        chips += [embedder.chip(pixels, face) for face in detector.detect(pixels)]
        if len(chips) >= count:
            return chips[:count]
    return chips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--faces", type=int, default=64, help="faces to embed (default 64, one gallery batch)"
    )
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()
    from recognition.embedders.facenet import facenet_embedder
    from recognition.gallery.sync import SYNC_BATCH
    from recognition.ml.facenet import BATCH_SIZE

    chips = chips_cut(arguments.data_dir / "celeba_subset" / "images", arguments.faces)
    embedder = facenet_embedder()
    embedder.embed_chips(chips[:1])
    embedder.embed_chips(chips[:BATCH_SIZE])
    print(
        f"{os.cpu_count()} CPUs; {len(chips)} faces; gallery batch {SYNC_BATCH}, network batch {BATCH_SIZE}"
    )
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the start")
    single, batched = [], []
    for _ in range(3):
        started = time.perf_counter()
        for chip in chips:
            embedder.embed_chips([chip])
        single.append(len(chips) / (time.perf_counter() - started))
        started = time.perf_counter()
        embedder.embed_chips(chips)
        batched.append(len(chips) / (time.perf_counter() - started))
    for name, rates in (("one face per call", single), ("batched", batched)):
        runs = ", ".join(f"{rate:.1f}" for rate in rates)
        print(f"{name}: {statistics.median(rates):.1f} faces/s (runs: {runs})")
    print(f"batched / one per call: {statistics.median(batched) / statistics.median(single):.1f}x")
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
