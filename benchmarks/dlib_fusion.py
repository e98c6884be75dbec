"""dlib's ResNet beside FaceNet: what the fused embedder (recognition/embedders/dlib_resnet.py)
is fitted on, and what it costs per face.

    .venv/bin/python benchmarks/dlib_fusion.py framing
    .venv/bin/python benchmarks/dlib_fusion.py fit \
        --facenet-lfw /tmp/lfw-facenet.npz --fused-lfw /tmp/lfw-fused.npz
    .venv/bin/python benchmarks/dlib_fusion.py cost

The LFW caches are evaluate_lfw's (`--cache`), one run with `--embedder facenet` and one
with `--embedder facenet-dlib`: every image of pairs.txt, recognition's detector's face,
each embedder's chip.
What fusion does for open-set identification is open_set.py's, run with `--embedder
facenet-dlib` beside its FaceNet run.

- framing: where dlib's HOG detector frames the face an MTCNN box holds (dlib's shape
  predictor was trained on HOG's boxes, lower and squatter than MTCNN's): the median
  left and top offsets and width and height scales, in units of MTCNN's box, over the
  faces of every FRAMING_EVERY-th image of LFW folds 1-5 that both detectors find
  (HOG upsampled once, face_recognition's default). -> dlib_resnet.HOG_FRAMING.
- fit, on LFW folds 1-5 only (the people and pairs the impostor models are measured on):
  - FaceNet's weight w in the fused cosine (w x FaceNet's + (1 - w) x dlib's): the weight
    of WEIGHT_GRID, or the one that makes the two embedders' different-person scores
    equally spread, that names the most enrolled people rightly in the folds 1-5 run
    (people with two photos or more, enrolled with one, strangers the people with one;
    threshold: each weight's own impostor model at FAR 1%, never below its own 1:1
    threshold). -> FusedEmbedder.facenet_weight.
  - The fused 1:1 threshold: the best-accuracy threshold on the pairs of folds 1-5.
    -> FusedEmbedder.verification_threshold.
  The fused cache holds [sqrt(w0) FaceNet, sqrt(1 - w0) dlib] at the weight w0 it was
  made with (its chip description ends "w <w0>"), so its second part rescaled is dlib's
  own embedding, and its first part is checked against the FaceNet cache. Also printed,
  for reporting: LFW's 10-fold accuracy of each (plain cosine, each fold at the other
  nine folds' best threshold).
- cost: COST_FACES CelebA photos, recognition's detector's face found first (not timed), then each face
  embedded alone by FaceNet (chip + embedding), dlib (landmarks, chip + descriptor) and
  the fused embedder, pinned to one core; p50 and p90 per face, with `uptime` around.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_django import django_setup, sqlite_url
from open_set import FAR, Faces, figures, lfw_split, runs_make

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA = PROJECT_ROOT.parent / "shared" / "data"
# Every this many images of LFW folds 1-5 give MTCNN's box to fit HOG's framing of it on.
FRAMING_EVERY = 10
# Faces timed for the cost per face, spread evenly over the CelebA photos.
COST_FACES = 150
# Candidate weights of FaceNet's cosine in the fused score, besides the equal-spread weight.
WEIGHT_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=("framing", "fit", "cost"))
    parser.add_argument("--celeba", type=Path, default=DATA / "celeba_subset" / "images")
    parser.add_argument("--lfw", type=Path, default=DATA / "lfw_view2")
    parser.add_argument("--facenet-lfw", type=Path, help="evaluate_lfw's --cache with --embedder facenet")
    parser.add_argument("--fused-lfw", type=Path, help="evaluate_lfw's --cache with --embedder facenet-dlib")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--core", type=int, default=0, help="the core the cost step runs on")
    return parser.parse_args()


def rgb_read(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as photo:
        return np.asarray(photo.convert("RGB"))


def framing_step(options: argparse.Namespace) -> None:
    import dlib

    from pipeline.detection import RECOGNITION_DETECTOR
    from recognition.ml.lfw import lfw_pairs_read
    from recognition.services.lfw import lfw_face
    from recognition.services.uploads import photo_faces

    pairs = [pair for pair in lfw_pairs_read(options.lfw / "pairs.txt") if pair.fold < 5]
    paths = sorted({path for pair in pairs for path in (pair.first, pair.second)})[::FRAMING_EVERY]
    hog, relations = dlib.get_frontal_face_detector(), []
    for path in paths:
        pixels = rgb_read(options.lfw / "lfw" / path)
        faces = photo_faces(pixels)
        if not faces:
            continue
        left, top, width, height = lfw_face(faces, pixels.shape[1], pixels.shape[0]).box
        centre_x, centre_y = left + width / 2, top + height / 2
        for face in hog(pixels, 1):
            if abs(face.center().x - centre_x) < width / 3 and abs(face.center().y - centre_y) < height / 3:
                relations.append(
                    ((face.left() - left) / width, (face.top() - top) / height, face.width() / width)
                    + (face.height() / height,)
                )
                break
    framing = np.median(np.array(relations), axis=0)
    print(
        f"HOG's framing of {RECOGNITION_DETECTOR}'s box, from {len(relations)} of {len(paths)} "
        "LFW folds 1-5 images: "
        f"left {framing[0]:+.3f}, top {framing[1]:+.3f} (x box), width x{framing[2]:.3f}, "
        f"height x{framing[3]:.3f}"
    )


class Lfw:
    """Every image of pairs.txt (sorted paths), its pairs, and the people of folds 1-5."""

    def __init__(self, pairs_file: Path) -> None:
        from recognition.ml.lfw import lfw_pairs_read

        pairs = lfw_pairs_read(pairs_file)
        self.paths = sorted({path for pair in pairs for path in (pair.first, pair.second)})
        row = {path: index for index, path in enumerate(self.paths)}
        self.first = np.array([row[pair.first] for pair in pairs])
        self.second = np.array([row[pair.second] for pair in pairs])
        self.same = np.array([pair.same for pair in pairs])
        self.folds = np.array([pair.fold for pair in pairs])
        fit_images = sorted({path for pair in pairs if pair.fold < 5 for path in (pair.first, pair.second)})
        _, self.fit_labels = np.unique([path.split("/")[0] for path in fit_images], return_inverse=True)
        self.fit_rows = np.array([row[path] for path in fit_images])

    def vectors(self, cache: Path) -> np.ndarray:
        stored = np.load(cache)
        rows = {path: index for index, path in enumerate(stored["paths"].tolist())}
        missing = [path for path in self.paths if path not in rows]
        if missing:
            sys.exit(f"{cache} lacks {len(missing)} LFW images: run evaluate_lfw with it on all 10 folds.")
        return stored["vectors"][[rows[path] for path in self.paths]]

    def pair_scores(self, vectors: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", vectors[self.first], vectors[self.second])

    def fit_faces(self, vectors: np.ndarray) -> Faces:
        count = len(self.fit_labels)
        fit = vectors[self.fit_rows]
        return Faces(fit, fit, self.fit_labels, np.full(count, 100.0), np.ones(count), np.full(count, 100.0))


def fold_accuracies(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """LFW's protocol: each fold tested at the best-accuracy threshold of the others."""
    from recognition.ml.scores import best_threshold

    accuracies = []
    for fold in np.unique(folds):
        test = folds == fold
        threshold = best_threshold(scores[~test], same[~test])
        accuracies.append(np.mean((scores[test] >= threshold) == same[test]))
    return np.array(accuracies)


class Candidate:
    """One way of scoring: its vectors, 1:1 threshold and impostor model, fitted on folds 1-5."""

    def __init__(self, name: str, vectors: np.ndarray, lfw: Lfw, floor: float | None = None) -> None:
        from recognition.ml.impostors import measure
        from recognition.ml.scores import best_threshold

        self.name, self.vectors = name, vectors
        fit = lfw.folds < 5
        scores = lfw.pair_scores(vectors)
        self.floor = best_threshold(scores[fit], lfw.same[fit]) if floor is None else floor
        faces = lfw.fit_faces(vectors)
        self.model = measure(faces.vectors, faces.labels, source=f"{name}, LFW folds 1-5")
        self.accuracy = fold_accuracies(scores, lfw.same, lfw.folds)

    def fit_run(self, lfw: Lfw, splits: int) -> dict[str, np.ndarray]:
        from open_set import Rule

        enrollable, strangers, people = lfw_split(lfw.fit_faces(self.vectors))
        runs = runs_make(enrollable, strangers, len(people), 1, splits)
        for run in runs:
            run.floor = self.floor
        return figures(runs, Rule(self.name), self.model)


def fused(facenet: np.ndarray, dlib: np.ndarray, weight: float) -> np.ndarray:
    return np.hstack([np.sqrt(weight) * facenet, np.sqrt(1 - weight) * dlib]).astype(np.float32)


def fit_step(options: argparse.Namespace) -> None:
    from recognition.embedders.dlib_resnet import FusedEmbedder
    from recognition.gallery.thresholds import verification_threshold

    lfw = Lfw(options.lfw / "pairs.txt")
    facenet, joined = lfw.vectors(options.facenet_lfw), lfw.vectors(options.fused_lfw)
    made_with = float(str(np.load(options.fused_lfw)["chip"]).rsplit(" w ", 1)[1])
    if not np.allclose(joined[:, :512] / np.sqrt(made_with), facenet, atol=1e-3):
        sys.exit(f"{options.fused_lfw}'s FaceNet part is not {options.facenet_lfw}: not the same faces.")
    dlib = joined[:, 512:] / np.sqrt(1 - made_with)
    committed = FusedEmbedder.facenet_weight
    spreads = []
    for vectors in (facenet, dlib):
        faces = lfw.fit_faces(vectors)
        scores = faces.vectors @ faces.vectors.T
        spreads.append(scores[faces.labels[:, None] != faces.labels[None, :]].std())
    equal_spread = round(float(spreads[1] / (spreads[0] + spreads[1])), 2)
    print(
        f"FIT (LFW folds 1-5). Different-person scores' spread: FaceNet {spreads[0]:.3f}, dlib "
        f"{spreads[1]:.3f} (equal spread at w = {equal_spread:.2f}).\n"
        f"Folds 1-5 open-set run, {options.splits} splits, at each one's impostor model (FAR {FAR:.0%}):"
    )
    print(f"  {'scoring':<16}{'named rightly':>15}{'strangers':>11}{'1:1 threshold':>15}{'LFW 10-fold':>17}")
    candidates = [
        Candidate("FaceNet", facenet, lfw, floor=verification_threshold()),
        Candidate("dlib", dlib, lfw),
    ]
    candidates += [
        Candidate(f"fused w={weight:.2f}", fused(facenet, dlib, weight), lfw)
        for weight in sorted({*WEIGHT_GRID, equal_spread})
    ]
    rightly = {}
    for candidate in candidates:
        shares = candidate.fit_run(lfw, options.splits)
        rightly[candidate.name] = shares["named rightly"].mean()
        print(
            f"  {candidate.name:<16}{100 * rightly[candidate.name]:14.2f}%"
            f"{100 * shares['strangers named'].mean():10.2f}%{candidate.floor:15.3f}"
            f"{100 * candidate.accuracy.mean():10.2f}% ± {100 * candidate.accuracy.std():.2f}"
        )
    best = max(candidates[2:], key=lambda candidate: rightly[candidate.name])
    print(
        f"Chosen: {best.name}, 1:1 threshold {best.floor:.3f} (committed: w={committed:.2f}, "
        f"{FusedEmbedder.verification_threshold:.3f})"
    )


def milliseconds(function, items: list) -> np.ndarray:
    """Wall time of function(item) per item, after one untimed warm-up call."""
    function(items[0])
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append(1000 * (time.perf_counter() - started))
    return np.array(times)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def cost_step(options: argparse.Namespace) -> None:
    from recognition.embedders.pretrained import pretrained_embedder
    from recognition.services.uploads import photo_faces

    os.sched_setaffinity(0, {options.core})
    paths = sorted(options.celeba.glob("*/*.jpg"))
    faces = []
    for path in (paths[int(row)] for row in np.linspace(0, len(paths) - 1, COST_FACES)):
        pixels = rgb_read(path)
        found = photo_faces(pixels)
        if found:
            faces.append((pixels, found[0]))
    print(f"Cost per face, {len(faces)} CelebA faces one at a time, core {options.core} only")
    print(f"  before: {uptime()}")
    for name in ("facenet", "dlib", "facenet-dlib"):
        embedder = pretrained_embedder(name)
        times = milliseconds(
            lambda face, embedder=embedder: embedder.embed_chips([embedder.chip(*face)]), faces
        )
        print(
            f"  {embedder.label + ': chip + embedding':<34} p50 {np.median(times):6.1f} ms   "
            f"p90 {np.percentile(times, 90):6.1f} ms"
        )
    print(f"  after:  {uptime()}")


def main() -> None:
    options = arguments()
    steps = {"framing": framing_step, "fit": fit_step, "cost": cost_step}
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        django_setup(sqlite_url(Path(directory)), Path(directory))
        steps[options.step](options)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
