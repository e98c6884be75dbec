"""Time the "probably the same person" pairs: every pair of identity cores at or above
the 1:1 threshold, at 5,000 identities (or --identities).

    .venv/bin/python benchmarks/same_person_pairs.py [--identities 5000] [--faces-per-identity 10]

1. Build an in-memory gallery matrix (no database: the page's own cost is this compute
   once the process holds the gallery): random unit vectors around one random direction
   per identity, as FaceNet's faces of one person cluster; --duplicates identities get a
   second name (another identity around the same direction), the pairs to find.
2. Time GalleryMatrix.cores plus close_core_pairs (cores compared PAIRS_BLOCK at a time)
   --repeats times, and print the median and the pairs found.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_django import django_setup, sqlite_url


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--identities", type=int, default=5000)
    parser.add_argument("--faces-per-identity", type=int, default=10)
    parser.add_argument("--duplicates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    return parser.parse_args()


def unit_rows(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def matrix_build(identities: int, faces_each: int, duplicates: int, rng: np.random.Generator):
    from recognition.gallery.index import GalleryMatrix

    directions = unit_rows(rng.normal(size=(identities, 512)))
    # The last `duplicates` identities are second names of the first ones.
    directions[identities - duplicates :] = directions[:duplicates]
    noise = rng.normal(size=(identities, faces_each, 512)) * (0.9 / np.sqrt(512))
    vectors = unit_rows(directions[:, None, :] + noise).reshape(-1, 512)
    identity_ids = np.repeat(np.arange(1, identities + 1, dtype=np.int64), faces_each)
    return GalleryMatrix(("bench",), vectors, identity_ids)


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory() as work:
        django_setup(sqlite_url(Path(work)), Path(work), migrate=False)
        from recognition.gallery.curation import PAIRS_BLOCK, close_core_pairs
        from recognition.gallery.thresholds import LFW_VERIFICATION_THRESHOLD

        matrix = matrix_build(
            options.identities, options.faces_per_identity, options.duplicates, np.random.default_rng(0)
        )
        timings = []
        for _ in range(options.repeats):
            started = time.perf_counter()
            pairs = close_core_pairs(matrix, LFW_VERIFICATION_THRESHOLD)
            timings.append(time.perf_counter() - started)
        print(
            f"{options.identities:,} identities, {len(matrix.vectors):,} faces, block {PAIRS_BLOCK}, "
            f"threshold {LFW_VERIFICATION_THRESHOLD}"
        )
        print(f"pairs found: {len(pairs.scores)} (planted: {options.duplicates})")
        print(
            f"cores + all pairs: median {statistics.median(timings) * 1000:.0f} ms, "
            f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms over {options.repeats} runs"
        )


if __name__ == "__main__":
    main()
