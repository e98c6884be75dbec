"""The identity page's recognisability figure (recognition.gallery.recognisability):
how long it takes at 100,000 gallery rows, and where real photos of one person sit
against the near-duplicate bar.

    .venv/bin/python benchmarks/recognisability.py
    .venv/bin/python benchmarks/recognisability.py --cache /tmp/celeba_faces.npz   # open_set.py's cache

1. Timing: a gallery of --rows random unit vectors (512-d) in identities of 20 faces;
   for identities of 5, 20, 100 and 500 faces, the median over --runs of own_columns,
   leave_one_out and median_similarity (the in-memory work of one identity page; the
   page adds two small queries and the process's copy of the gallery, shared with uploads).
2. With --cache (embeddings of the CelebA subset, one row per photo, written by
   benchmarks/open_set.py): the whole subset as the gallery at the 1:1 threshold and
   at the open-set estimate; each identity's leave-one-out figure, and the
   distribution of each identity's median pairwise similarity, which
   NEAR_DUPLICATE_SIMILARITY must sit above.
3. With --cache and --images: near-duplicates made from --duplicates photos (the same
   photo re-encoded at JPEG quality 60 and shrunk to 80%, a copy found twice), scored
   against their original.
"""

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_django import django_setup, sqlite_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_IMAGES = PROJECT_ROOT.parent / "shared" / "data" / "celeba_subset" / "images"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="open_set.py's .npz of CelebA embeddings")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="for the near-duplicates")
    parser.add_argument("--duplicates", type=int, default=0, help="photos to make near-duplicates of")
    return parser.parse_args()


def unit_rows(generator: np.random.Generator, count: int) -> np.ndarray:
    vectors = generator.normal(size=(count, 512)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def timing(rows: int, runs: int) -> None:
    from recognition.gallery.index import GalleryMatrix
    from recognition.gallery.recognisability import leave_one_out, median_similarity, own_columns

    generator = np.random.default_rng(0)
    print(f"Timing, a gallery of {rows:,} rows (median of {runs} runs, ms):")
    print(f"  {'faces':>6} {'own_columns':>12} {'leave_one_out':>14} {'median_similarity':>18}")
    for faces in (5, 20, 100, 500):
        others = rows - faces
        identity_ids = np.r_[np.arange(others) // 20 + 1, np.zeros(faces, int)]
        order = np.argsort(identity_ids, kind="stable")
        matrix = GalleryMatrix((), unit_rows(generator, rows)[order], identity_ids[order])
        vectors = matrix.vectors[:faces].copy()
        steps = {"own_columns": [], "leave_one_out": [], "median_similarity": []}
        for _ in range(runs):
            started = time.perf_counter()
            columns = own_columns(matrix, 0, vectors)
            steps["own_columns"].append(time.perf_counter() - started)
            started = time.perf_counter()
            leave_one_out(matrix, vectors, columns, threshold=0.35)
            steps["leave_one_out"].append(time.perf_counter() - started)
            started = time.perf_counter()
            median_similarity(vectors)
            steps["median_similarity"].append(time.perf_counter() - started)
        milliseconds = {step: 1000 * np.median(times) for step, times in steps.items()}
        print(
            f"  {faces:>6} {milliseconds['own_columns']:>12.1f} {milliseconds['leave_one_out']:>14.1f} "
            f"{milliseconds['median_similarity']:>18.1f}"
        )


def celeba(vectors: np.ndarray, labels: np.ndarray) -> None:
    from recognition.gallery.index import GalleryMatrix
    from recognition.gallery.recognisability import (
        NEAR_DUPLICATE_SIMILARITY,
        leave_one_out,
        median_similarity,
    )
    from recognition.gallery.thresholds import open_set_threshold, verification_threshold

    order = np.argsort(labels, kind="stable")
    vectors, labels = vectors[order].astype(np.float32), labels[order]
    matrix = GalleryMatrix((), vectors, labels)
    people = np.unique(labels)
    print(
        f"\nCelebA subset: {len(labels)} faces of {len(people)} identities, the whole subset as the gallery"
    )
    for name, threshold in (
        ("1:1 threshold", verification_threshold()),
        ("open-set estimate", max(open_set_threshold(matrix) or 0.0, verification_threshold())),
    ):
        correct = []
        for person in people:
            rows = np.flatnonzero(labels == person)
            outcome = leave_one_out(matrix, vectors[rows], rows, threshold)
            correct.append(np.mean(outcome.named_identity_ids == person))
        correct = np.array(correct)
        print(
            f"  at the {name} {threshold:.3f}: own photos named correctly, per identity: "
            f"mean {100 * correct.mean():.1f}%, min {100 * correct.min():.1f}%, "
            f"identities under 80%: {int(np.sum(correct < 0.8))}"
        )
    medians = np.array([median_similarity(vectors[labels == person]) for person in people])
    same = np.concatenate(
        [
            (vectors[labels == person] @ vectors[labels == person].T)[
                np.triu_indices(int(np.sum(labels == person)), k=1)
            ]
            for person in people
        ]
    )
    print(
        "  median pairwise similarity per identity: "
        f"min {medians.min():.3f}, median {np.median(medians):.3f}, max {medians.max():.3f}; "
        f"at or above the bar {NEAR_DUPLICATE_SIMILARITY}: {np.sum(medians >= NEAR_DUPLICATE_SIMILARITY)}"
    )
    print(
        f"  same-person pairs ({len(same):,}): median {np.median(same):.3f}, "
        f"99th percentile {np.quantile(same, 0.99):.3f}, "
        f"at or above the bar {100 * np.mean(same >= NEAR_DUPLICATE_SIMILARITY):.2f}%"
    )


def near_duplicates(images: Path, count: int) -> None:
    from PIL import Image

    from recognition.embedders.facenet import facenet_embedder
    from recognition.gallery.recognisability import NEAR_DUPLICATE_SIMILARITY
    from recognition.services.uploads import photo_faces

    embedder = facenet_embedder()
    paths = sorted(images.glob("*/*.jpg"))[:: max(1, len(sorted(images.glob("*/*.jpg"))) // count)][:count]
    scores = []
    for path in paths:
        with Image.open(path) as photo:
            original = photo.convert("RGB")
        output = io.BytesIO()
        original.resize((int(original.width * 0.8), int(original.height * 0.8))).save(
            output, "JPEG", quality=60
        )
        copy = Image.open(io.BytesIO(output.getvalue())).convert("RGB")
        chips = []
        for image in (original, copy):
            pixels = np.asarray(image)
            faces = photo_faces(pixels)
            if faces:
                chips.append(embedder.chip(pixels, faces[0]))
        if len(chips) == 2:
            first, second = embedder.embed_chips(chips)
            scores.append(float(first @ second))
    scores = np.array(scores)
    above = 100 * np.mean(scores >= NEAR_DUPLICATE_SIMILARITY)
    print(
        f"\nNear-duplicates (re-encoded at quality 60, 80% size) of {len(scores)} photos: "
        f"similarity to the original min {scores.min():.3f}, median {np.median(scores):.3f}, "
        f"at or above the bar {NEAR_DUPLICATE_SIMILARITY}: {above:.0f}%"
    )


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        work_directory = Path(directory)
        django_setup(sqlite_url(work_directory), work_directory, migrate=False)
        timing(options.rows, options.runs)
        if options.cache:
            stored = np.load(options.cache)
            celeba(stored["vectors"], stored["labels"])
        if options.duplicates:
            near_duplicates(options.images, options.duplicates)


if __name__ == "__main__":
    main()
