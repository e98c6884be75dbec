"""How fast `import_faces` turns photos into face crops, and how many photos get a face.

Usage: .venv/bin/python benchmarks/import_throughput.py [DATA_DIR]

DATA_DIR defaults to ../shared/data beside the project checkout. The import runs
against a throwaway SQLite database and media folder in a temporary directory, so it
leaves the project's own data alone. It imports celeba_subset/images with the Haar
detector and, when present, orl_faces with the `none` detector.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

from bench_django import django_setup, sqlite_url

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"


def import_measure(path: Path, detector_name: str) -> None:
    from identities.models import SourceImage
    from pipeline.detection import detector_get
    from pipeline.importer import faces_import

    # Load the detector first, so its one-off start-up is not counted per image.
    detector_get(detector_name)
    started = time.perf_counter()
    summary = faces_import(path=path, detector_name=detector_name, approve=False)
    seconds = time.perf_counter() - started
    imported = SourceImage.objects.filter(origin_detail__startswith=str(path)).exclude(
        status=SourceImage.Status.INVALID
    )
    with_face = imported.filter(status=SourceImage.Status.FACES).count()
    print(f"{path.name} with {detector_name}: {summary}")
    print(f"  {summary.images / seconds:.1f} images/s, {summary.faces / seconds:.1f} faces/s")
    print(f"  detection rate {with_face / max(1, imported.count()):.1%} ({with_face} of {imported.count()})")
    print(f"  total {seconds:.1f} s")


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA_DIR
    with tempfile.TemporaryDirectory(prefix="facesite-benchmark-") as work_dir:
        django_setup(sqlite_url(Path(work_dir)), Path(work_dir))
        print(f"{os.cpu_count()} CPUs; data from {data_dir}")
        import_measure(data_dir / "celeba_subset" / "images", "haar")
        if (data_dir / "orl_faces").is_dir():
            import_measure(data_dir / "orl_faces", "none")


if __name__ == "__main__":
    main()
