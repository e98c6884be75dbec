"""Crop throughput (faces per second) and detection rate of each face detector.

Usage: .venv/bin/python benchmarks/crop_throughput.py [--limit N] [--detectors mtcnn,yunet]
       [--boxes FILE] [DATA_DIR]

Reads celeba_subset/images under DATA_DIR (default ../shared/data beside the project
checkout) and runs the importer's detect-and-crop step on every photo, or on N photos
spread evenly over the set. Nothing is stored: the figures are for detection and
cropping alone. The detection rate counts photos with at least one face, and those
with at least one face large enough to be sent to review (FACESITE_MIN_FACE_SIZE).
With --boxes, every face found is written to a JSON file ({detector: {photo: [face]}}),
for benchmarks/chip_fit.py and for looking at the faces one detector finds alone.
The detectors take turns photo by photo, so a change in the machine's load falls on
each of them alike.
"""

import argparse
import json
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


def detectors_measure(detector_names: list[str], photos: list[Path], boxes_file: Path | None) -> None:
    from django.conf import settings
    from PIL import Image

    from pipeline.detection import detector_get
    from pipeline.importer import faces_find

    detectors, load_seconds = {}, {}
    for name in detector_names:
        started = time.perf_counter()
        detectors[name] = detector_get(name)
        load_seconds[name] = time.perf_counter() - started
    seconds = dict.fromkeys(detector_names, 0.0)
    found_by = {name: {} for name in detector_names}
    for photo in photos:
        with Image.open(photo) as image:
            rgb = image.convert("RGB")
        for name, detector in detectors.items():
            started = time.perf_counter()
            found = faces_find(rgb, detector)
            seconds[name] += time.perf_counter() - started
            found_by[name][photo.relative_to(photo.parents[1]).as_posix()] = [
                {
                    "box": face.detected.box,
                    "confidence": face.detected.confidence,
                    "landmarks": face.detected.landmarks,
                }
                for face in found
            ]
    minimum = settings.FACESITE_MIN_FACE_SIZE
    for name in detector_names:
        found = found_by[name].values()
        faces = sum(len(photo_faces) for photo_faces in found)
        with_face = sum(bool(photo_faces) for photo_faces in found)
        with_reviewable_face = sum(
            any(min(face["box"][2:]) >= minimum for face in photo_faces) for photo_faces in found
        )
        print(f"{name}: {len(photos)} photos, {faces} faces in {seconds[name]:.1f} s")
        print(f"  model load {load_seconds[name]:.1f} s (not counted)")
        print(f"  {faces / seconds[name]:.1f} faces/s, {len(photos) / seconds[name]:.1f} photos/s")
        print(f"  detection rate {with_face / len(photos):.1%} (photos with >= 1 face)")
        print(f"  {with_reviewable_face / len(photos):.1%} with >= 1 face of at least {minimum} pixels")
    if len(detector_names) > 1:
        first, *others = detector_names
        for name in others:
            print(f"{name} photos/s / {first} photos/s: {seconds[first] / seconds[name]:.1f}x")
    if boxes_file:
        boxes_file.write_text(json.dumps(found_by))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, help="photos to use, spread over the set (default: all)")
    parser.add_argument("--detectors", default="mtcnn,yunet", help="comma-separated detector names")
    parser.add_argument("--boxes", type=Path, help="write every face found to this JSON file")
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()
    photos = photos_list(arguments.data_dir / "celeba_subset" / "images", arguments.limit)
    print(
        f"{os.cpu_count()} CPUs; {len(photos)} photos from {arguments.data_dir / 'celeba_subset' / 'images'}"
    )
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the start")
    detectors_measure(arguments.detectors.split(","), photos, arguments.boxes)
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
