"""Time identification over a large gallery: 100,000 approved faces of 10,000 identities.

    .venv/bin/python benchmarks/gallery_search.py                 # throwaway SQLite file
    .venv/bin/python benchmarks/gallery_search.py --database-url postgres://postgres@127.0.0.1:5432/facesite_bench_gallery

1. Migrate a scratch database and fill it: identities, one approved face row each per
   embedding (no image files), and a FaceEmbedding per face. The vectors are random
   unit vectors, not FaceNet's: search time depends on the gallery's size, not on what
   the vectors say, and embedding 100,000 real faces would take hours on this CPU.
2. Load the gallery into memory once (what the first request of a process pays).
3. Time --queries single-face identifications (top 5) as the upload page asks: back to
   back (a process checks the database for changes at most once a second), then each
   with that check (the first search after a quiet second), then the check alone and
   the search alone on the in-memory matrix. The open-set calibration is timed before.
4. Print p50/p95/max milliseconds.
"""

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_django import django_setup
from bench_rows import photos_and_faces_create

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database; default: a temporary SQLite file"
    )
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--faces-per-identity", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200)
    return parser.parse_args()


def populate(faces: int, per_identity: int) -> None:
    import numpy as np

    from identities.models import Face, Identity
    from recognition.gallery.cache import EMBEDDER
    from recognition.models import FaceEmbedding

    identities = Identity.objects.bulk_create(
        (Identity(name=f"Person {number:06d}") for number in range(faces // per_identity)), batch_size=5000
    )
    statuses = [[Face.Status.APPROVED] * per_identity for _ in identities]
    photos_and_faces_create(identities, statuses, photos_each=2, detector="mtcnn", generator=random.Random(0))
    generator = np.random.default_rng(0)
    face_ids = list(Face.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(face_ids), 5000):
        chunk = face_ids[start : start + 5000]
        vectors = generator.normal(size=(len(chunk), 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        FaceEmbedding.objects.bulk_create(
            FaceEmbedding(face_id=face_id, embedder=EMBEDDER, vector=vector.tobytes())
            for face_id, vector in zip(chunk, vectors, strict=True)
        )


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"{label:<44}{statistics.median(ordered):>9.2f}{p95:>9.2f}{ordered[-1]:>9.2f}")


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        work_directory = Path(directory)
        database_url = options.database_url or f"sqlite:///{work_directory / 'bench.sqlite3'}"
        django_setup(database_url, work_directory)
        import numpy as np
        from django.db import connection

        from recognition.gallery.cache import _signature, gallery_matrix, gallery_recheck
        from recognition.gallery.index import identity_scores
        from recognition.gallery.search import gallery_identify
        from recognition.gallery.thresholds import gallery_threshold

        started = time.perf_counter()
        populate(options.faces, options.faces_per_identity)
        seconds = time.perf_counter() - started
        print(f"{connection.vendor}: {options.faces:,} random unit embeddings made in {seconds:.1f} s")
        started = time.perf_counter()
        matrix = gallery_matrix()
        seconds, mebibytes = time.perf_counter() - started, matrix.vectors.nbytes / 2**20
        print(f"first load into memory: {seconds:.2f} s ({mebibytes:.0f} MiB)")
        started = time.perf_counter()
        threshold = gallery_threshold()
        seconds = time.perf_counter() - started
        print(f"open-set threshold calibration: {seconds:.2f} s (threshold {threshold:.3f})")
        generator = np.random.default_rng(1)
        queries = generator.normal(size=(options.queries, 512)).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        rows = iter(range(options.queries))
        print(f"{'one face, top 5 (ms)':<44}{'p50':>9}{'p95':>9}{'max':>9}")
        report(
            "gallery_identify, back to back",
            timed(lambda: gallery_identify(queries[next(rows)], k=5), options.queries),
        )

        def checked_identify():
            gallery_recheck()  # as the first search after a second without one
            gallery_identify(queries[next(rows)], k=5)

        rows = iter(range(options.queries))
        report("gallery_identify, checking the database", timed(checked_identify, options.queries))
        report("signature check alone (database)", timed(_signature, options.queries))
        rows = iter(range(options.queries))
        report(
            "search alone (matrix in memory)",
            timed(lambda: identity_scores(matrix, queries[next(rows)][None, :]), options.queries),
        )


if __name__ == "__main__":
    main()
