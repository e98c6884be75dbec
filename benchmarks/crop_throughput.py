"""Crop throughput (faces per second) and detection rate of each face detector.

Usage: .venv/bin/python benchmarks/crop_throughput.py [--limit N] [--detectors haar,mtcnn] [DATA_DIR]

Reads celeba_subset/images under DATA_DIR (default ../shared/data beside the project
checkout) and runs the importer's detect-and-crop step on every photo, or on N photos
spread evenly over the set. Nothing is stored: the figures are for detection and
cropping alone. The detection rate counts photos with at least one face, and those
with at least one face large enough to be sent to review (FACESITE_MIN_FACE_SIZE).
"""

import argparse
import os
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"


def photos_list(images_dir: Path, limit: int | None) -> list[Path]:
    """Every photo, or `limit` of them taken at even steps so that every identity is represented."""
    photos = sorted(
        path for path in images_dir.rglob("*") if path.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )
    if limit and limit < len(photos):
        step = len(photos) / limit
        photos = [photos[int(index * step)] for index in range(limit)]
    return photos


def detector_measure(detector_name: str, photos: list[Path]) -> None:
    from django.conf import settings
    from PIL import Image

    from pipeline.detection import detector_get
    from pipeline.importer import faces_find

    started = time.perf_counter()
    detector = detector_get(detector_name)
    load_seconds = time.perf_counter() - started
    faces = with_face = with_reviewable_face = 0
    started = time.perf_counter()
    for photo in photos:
        with Image.open(photo) as image:
            found = faces_find(image.convert("RGB"), detector)
        faces += len(found)
        with_face += bool(found)
        minimum = settings.FACESITE_MIN_FACE_SIZE
        with_reviewable_face += any(
            min(face.detected.width, face.detected.height) >= minimum for face in found
        )
    seconds = time.perf_counter() - started
    print(f"{detector_name}: {len(photos)} photos, {faces} faces in {seconds:.1f} s")
    print(f"  model load {load_seconds:.1f} s (not counted)")
    print(f"  {faces / seconds:.1f} faces/s, {len(photos) / seconds:.1f} photos/s")
    print(f"  detection rate {with_face / len(photos):.1%} (photos with >= 1 face)")
    print(f"  {with_reviewable_face / len(photos):.1%} with >= 1 face of at least {minimum} pixels")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, help="photos to use, spread over the set (default: all)")
    parser.add_argument("--detectors", default="haar,mtcnn", help="comma-separated detector names")
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()
    photos = photos_list(arguments.data_dir / "celeba_subset" / "images", arguments.limit)
    print(
        f"{os.cpu_count()} CPUs; {len(photos)} photos from {arguments.data_dir / 'celeba_subset' / 'images'}"
    )
    for detector_name in arguments.detectors.split(","):
        detector_measure(detector_name, photos)


if __name__ == "__main__":
    main()
