"""Open-set identification on real faces: are strangers called "unknown", and enrolled
people named, at the gallery's calibrated threshold?

    .venv/bin/python benchmarks/open_set.py                  # ../shared/data/celeba_subset
    .venv/bin/python benchmarks/open_set.py --cache /tmp/celeba_faces.npz --splits 10

1. For every photo of every identity folder, detect the faces (MTCNN), take the largest,
   cut its FaceNet chip as an upload is cut, and embed it (cached with --cache).
2. Simulate review: drop faces whose cosine similarity to the mean embedding of their
   identity's faces is below the 1:1 threshold (bystanders and false detections, which
   reviewers reject). Figures are printed with and without this step.
3. For each of --splits seeded splits: a quarter of the identities are strangers (never
   enrolled); each enrolled identity puts half its faces in the gallery and keeps the
   other half as probes.
4. The threshold is the gallery's own (recognition.gallery.thresholds: the open-set estimate at 1%
   strangers named, never below the 1:1 threshold), computed on the gallery alone.
5. Print, mean ± std over the splits: strangers named (the open-set false alarm rate,
   target 1%), enrolled probes named correctly, named wrongly and called unknown, and
   the rank-1 accuracy with no threshold.
"""

import argparse
import sys
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
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="one folder per identity")
    parser.add_argument("--cache", type=Path, help="an .npz of embeddings to reuse (written if missing)")
    parser.add_argument("--splits", type=int, default=5)
    return parser.parse_args()


def faces_embed(images: Path) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings, identity index) of the largest face of each photo that has one."""
    from PIL import Image

    from recognition.embedders.facenet import facenet_embedder
    from recognition.services.uploads import photo_faces

    embedder = facenet_embedder()
    vectors, labels, missed = [], [], 0
    folders = sorted(folder for folder in images.iterdir() if folder.is_dir())
    started = time.perf_counter()
    for label, folder in enumerate(folders):
        chips = []
        for path in sorted(folder.glob("*.jpg")):
            with Image.open(path) as photo:
                pixels = np.asarray(photo.convert("RGB"))
            faces = photo_faces(pixels)
            if not faces:
                missed += 1
                continue
            chips.append(embedder.chip(pixels, faces[0]))
        vectors.append(embedder.embed_chips(chips))
        labels += [label] * len(chips)
    seconds = time.perf_counter() - started
    print(f"{len(labels)} faces of {len(folders)} identities in {seconds:.0f} s; {missed} photos had none")
    return np.concatenate(vectors), np.array(labels)


def reviewed(vectors: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Which faces a reviewer would keep: those at least `threshold` similar to their
    identity's mean direction."""
    keep = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        rows = labels == label
        centre = vectors[rows].mean(axis=0)
        centre /= np.linalg.norm(centre)
        keep[rows] = vectors[rows] @ centre >= threshold
    return keep


def split_measure(vectors: np.ndarray, labels: np.ndarray, seed: int) -> dict:
    from recognition.gallery.index import GalleryMatrix, identity_scores
    from recognition.gallery.thresholds import open_set_threshold, verification_threshold

    generator = np.random.default_rng(seed)
    people = np.unique(labels)
    strangers = generator.choice(people, size=len(people) // 4, replace=False)
    gallery = np.zeros(len(labels), dtype=bool)
    for person in np.setdiff1d(people, strangers):
        rows = np.flatnonzero(labels == person)
        gallery[generator.choice(rows, size=len(rows) // 2, replace=False)] = True
    enrolled_probes = ~gallery & ~np.isin(labels, strangers)
    stranger_probes = np.isin(labels, strangers)

    order = np.argsort(labels[gallery], kind="stable")
    matrix = GalleryMatrix((), vectors[gallery][order], labels[gallery][order])
    threshold = max(open_set_threshold(matrix) or 0.0, verification_threshold())

    def best(probes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = identity_scores(matrix, vectors[probes])
        return matrix.group_identity_ids[scores.argmax(axis=1)], scores.max(axis=1)

    named_as, score = best(enrolled_probes)
    truth = labels[enrolled_probes]
    named = score >= threshold
    _, stranger_score = best(stranger_probes)
    return {
        "threshold": threshold,
        "strangers named": float(np.mean(stranger_score >= threshold)),
        "enrolled named correctly": float(np.mean(named & (named_as == truth))),
        "enrolled named wrongly": float(np.mean(named & (named_as != truth))),
        "enrolled called unknown": float(np.mean(~named)),
        "rank-1, no threshold": float(np.mean(named_as == truth)),
        "probes": f"{int(enrolled_probes.sum())} enrolled, {int(stranger_probes.sum())} strangers",
    }


def report(title: str, vectors: np.ndarray, labels: np.ndarray, splits: int) -> None:
    runs = [split_measure(vectors, labels, seed) for seed in range(splits)]
    print(f"\n{title}: {len(labels)} faces, {len(np.unique(labels))} identities, {splits} splits")
    print(f"  probes per split: {runs[0]['probes']}")
    for key in runs[0]:
        if key == "probes":
            continue
        values = np.array([run[key] for run in runs])
        scale, unit = (1, "") if key == "threshold" else (100, "%")
        print(f"  {key:<26}{scale * values.mean():8.2f}{unit} ± {scale * values.std():.2f}")


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        work_directory = Path(directory)
        django_setup(sqlite_url(work_directory), work_directory)
        if options.cache and options.cache.exists():
            stored = np.load(options.cache)
            vectors, labels = stored["vectors"], stored["labels"]
        else:
            vectors, labels = faces_embed(options.images)
            if options.cache:
                np.savez(options.cache, vectors=vectors, labels=labels)
        from recognition.gallery.thresholds import verification_threshold

        report("As imported (largest face of each photo)", vectors, labels, options.splits)
        keep = reviewed(vectors, labels, verification_threshold())
        report("After simulated review", vectors[keep], labels[keep], options.splits)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
