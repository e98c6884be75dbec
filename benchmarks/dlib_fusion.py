"""dlib's ResNet beside FaceNet: what fusing the two does for open-set identification,
and what it costs per face.

Two virtual environments, since dlib is not a dependency of the project: the project's
(`.venv`: Django, TensorFlow, MTCNN) and one for dlib alone:

    python3 -m venv /work/dlibvenv
    /work/dlibvenv/bin/pip install dlib-bin face-recognition-models numpy pillow

Four steps, each caching under ../cache (beside the checkout) so that a rerun skips it:

    .venv/bin/python benchmarks/dlib_fusion.py boxes          # 1. project venv
    /work/dlibvenv/bin/python benchmarks/dlib_fusion.py embed # 2. dlib venv
    /work/dlibvenv/bin/python benchmarks/dlib_fusion.py cost  # 3. dlib venv (runs .venv too)
    .venv/bin/python benchmarks/dlib_fusion.py report         # 4. project venv

The report reads FaceNet's caches, built beforehand by open_set.py and evaluate_lfw:
../cache/celeba-mtcnn.npz (open_set.py's --celeba-cache) and ../cache/lfw-mtcnn.npz
(evaluate_lfw's --cache, all 10 folds). It only reads them.

1. boxes: recognition's detector (MTCNN) on every CelebA subset photo, in open_set.py's
   order, keeping the largest face's box as celeba_embed does, so that dlib embeds the
   very faces FaceNet's cache holds, row for row (the report checks each row's box size
   and detector confidence against that cache). Also MTCNN's box on every
   FRAMING_EVERY-th image of LFW folds 1-5, for the framing below.
   -> dlib-celeba-boxes.npz, dlib-lfw-framing-boxes.npz
2. embed: dlib's 5-point shape predictor on a box, then compute_face_descriptor
   (dlib_face_recognition_resnet_model_v1, its own 150x150 aligned chip, no jitter), as
   face_recognition.face_encodings does.
   - CelebA: MTCNN's face of step 1, framed as dlib's HOG detector frames a face (the
     box the shape predictor was trained to start from): MTCNN's box moved and scaled by
     the median relation of HOG's box to MTCNN's on the LFW folds 1-5 faces (HOG's box
     is lower and squatter). On CelebA this halved the shape predictor's disagreement
     with its landmarks from HOG's own box. The descriptors of the raw MTCNN box are kept
     too (`report --celeba-box raw`).
   - LFW (every image of pairs.txt): as face_recognition users run it on LFW's crops,
     dlib's HOG detector upsampled once (face_recognition.face_locations' default),
     keeping the detection largest and nearest the centre (LFW's crops are centred on
     their person; evaluate_lfw picks its face the same way); where HOG finds none, the
     crop's central 60% x 80% (evaluate_lfw's fallback).
   -> dlib-celeba.npz, dlib-lfw.npz
3. cost: on one core (sched_setaffinity), the same CelebA faces each embedded alone,
   p50 per face of dlib (shape predictor + descriptor) and of FaceNet (chip + embedding,
   run by the project venv on the same boxes right after), with `uptime` before and after.
4. report, fitting on LFW folds 1-5 only and reporting on CelebA and LFW folds 6-10:
   - Scores: cosine similarity for both embedders (dlib's descriptors L2-normalised; the
     report prints dlib's accuracy with its own Euclidean distance beside it, to show the
     two order pairs alike). Fused: w x FaceNet's cosine + (1 - w) x dlib's, which is
     the cosine of the concatenated vectors [sqrt(w) FaceNet, sqrt(1 - w) dlib], so
     identification (each identity's core) and the impostor model run unchanged. The
     mean of z-scores on different-person pairs is this with w = sd_dlib / (sd_dlib +
     sd_facenet), and the raw mean is w = 0.5: w is chosen among these and a grid by the
     share of enrolled people named rightly on the LFW folds 1-5 open-set runs.
   - 1:1 thresholds: FaceNet's 0.35 (LFW_VERIFICATION_THRESHOLD); dlib's and the fused
     score's the best-accuracy threshold on the pairs of LFW folds 1-5.
   - Impostor model of each (recognition.ml.impostors.measure) on the people of LFW
     folds 1-5; threshold at FAR 1% for the gallery's size, never below the 1:1 threshold.
   - open_set.py's runs (same galleries, seeded splits and strangers) for each embedder;
     LFW's 10-fold verification accuracy for each.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_django import django_setup, sqlite_url
from open_set import (
    FAR,
    GALLERY_SIZES,
    Faces,
    Rule,
    figures,
    lfw_split,
    people_with,
    runs_make,
    targets_check,
)

BENCHMARKS = Path(__file__).resolve().parent
PROJECT_ROOT = BENCHMARKS.parent
DATA = PROJECT_ROOT.parent / "shared" / "data"
CACHE = PROJECT_ROOT.parent / "cache"
PROJECT_PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
# LFW's fallback box where HOG finds no face: evaluate_lfw's (recognition.services.lfw.lfw_face).
FALLBACK_WIDTH, FALLBACK_HEIGHT = 0.6, 0.8
# Every this many images of LFW folds 1-5 give MTCNN's box to fit HOG's framing of it on.
FRAMING_EVERY = 10
# Faces timed for the cost per face, spread evenly over the CelebA rows.
COST_FACES = 150
# Candidate weights of FaceNet's cosine in the fused score, besides the z-score weight.
WEIGHT_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=("boxes", "embed", "cost", "facenet-cost", "report"))
    parser.add_argument("--celeba", type=Path, default=DATA / "celeba_subset" / "images")
    parser.add_argument("--lfw", type=Path, default=DATA / "lfw_view2")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the dlib-*.npz files go")
    parser.add_argument("--facenet-celeba", type=Path, default=CACHE / "celeba-mtcnn.npz")
    parser.add_argument("--facenet-lfw", type=Path, default=CACHE / "lfw-mtcnn.npz")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument(
        "--celeba-box", choices=("framed", "raw"), default="framed", help="dlib's box on CelebA (step 2)"
    )
    parser.add_argument("--core", type=int, default=0, help="the core the cost step runs on")
    return parser.parse_args()


def celeba_photos(images: Path) -> list[tuple[int, Path]]:
    """(person, photo) in open_set.celeba_embed's order."""
    folders = sorted(folder for folder in images.iterdir() if folder.is_dir())
    return [(label, path) for label, folder in enumerate(folders) for path in sorted(folder.glob("*.jpg"))]


def rgb_read(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as photo:
        return np.asarray(photo.convert("RGB"))


# Step 1 (project venv) ------------------------------------------------------------------


def boxes_step(options: argparse.Namespace) -> None:
    """MTCNN's boxes: CelebA's largest faces, and LFW folds 1-5's faces for the framing."""
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        django_setup(sqlite_url(Path(directory)), Path(directory), migrate=False)
        celeba_boxes(options)
        lfw_framing_boxes(options)


def celeba_boxes(options: argparse.Namespace) -> None:
    """The largest MTCNN face of each CelebA photo, as open_set.celeba_embed finds it."""
    from recognition.services.uploads import photo_face_quality, photo_faces

    target = options.cache / "dlib-celeba-boxes.npz"
    if target.exists():
        return
    rows, started = [], time.perf_counter()
    for label, path in celeba_photos(options.celeba):
        pixels = rgb_read(path)
        faces = photo_faces(pixels)
        if faces:
            quality = photo_face_quality(pixels, faces[0])
            rows.append((str(path.relative_to(options.celeba)), label, faces[0].box, quality))
    print(f"CelebA: {len(rows)} faces in {time.perf_counter() - started:.0f} s")
    np.savez(
        target,
        paths=np.array([path for path, *_ in rows]),
        labels=np.array([label for _, label, *_ in rows]),
        boxes=np.array([box for _, _, box, _ in rows]),
        size=np.array([quality.size for *_, quality in rows], dtype=np.float64),
        confidence=np.array([quality.confidence or 1.0 for *_, quality in rows], dtype=np.float64),
    )


def lfw_framing_boxes(options: argparse.Namespace) -> None:
    """MTCNN's box of every FRAMING_EVERY-th image of LFW folds 1-5 (evaluate_lfw's face)."""
    from pipeline.detection import RECOGNITION_DETECTOR, detector_get
    from recognition.ml.lfw import lfw_pairs_read
    from recognition.services.lfw import lfw_face

    target = options.cache / "dlib-lfw-framing-boxes.npz"
    if target.exists():
        return
    pairs = [pair for pair in lfw_pairs_read(options.lfw / "pairs.txt") if pair.fold < 5]
    paths = sorted({path for pair in pairs for path in (pair.first, pair.second)})[::FRAMING_EVERY]
    detector, found = detector_get(RECOGNITION_DETECTOR), []
    for path in paths:
        pixels = rgb_read(options.lfw / "lfw" / path)
        faces = detector.detect(pixels)
        if faces:
            found.append((path, lfw_face(faces, pixels.shape[1], pixels.shape[0]).box))
    np.savez(target, paths=np.array([path for path, _ in found]), boxes=np.array([box for _, box in found]))


# Step 2 (dlib venv) ---------------------------------------------------------------------


class DlibEmbedder:
    """face_recognition's encoding: 5 landmarks on a box, then the ResNet's descriptor."""

    def __init__(self) -> None:
        import dlib
        import face_recognition_models as models

        self.dlib = dlib
        self.shapes = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self.network = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self.hog = dlib.get_frontal_face_detector()

    def embed(self, pixels: np.ndarray, box) -> np.ndarray:
        """The 128-d descriptor of the face in box (left, top, width, height)."""
        left, top, width, height = (int(value) for value in box)
        rectangle = self.dlib.rectangle(left, top, left + width, top + height)
        shape = self.shapes(pixels, rectangle)
        return np.array(self.network.compute_face_descriptor(pixels, shape), dtype=np.float32)

    def lfw_box(self, pixels: np.ndarray) -> tuple[tuple[int, int, int, int], bool]:
        """(box, found by HOG) of an LFW crop's person: see step 2 of the docstring."""
        height, width = pixels.shape[:2]
        found = self.hog(pixels, 1)
        if not len(found):
            side_w, side_h = round(width * FALLBACK_WIDTH), round(height * FALLBACK_HEIGHT)
            return ((width - side_w) // 2, (height - side_h) // 2, side_w, side_h), False

        def centred_size(face) -> float:
            offset_x, offset_y = face.center().x - width / 2, face.center().y - height / 2
            return face.width() * face.height() - 2 * (offset_x**2 + offset_y**2)

        face = max(found, key=centred_size)
        return (face.left(), face.top(), face.width(), face.height()), True


def lfw_paths(pairs_file: Path) -> list[str]:
    """Every image pairs.txt names, sorted (recognition.ml.lfw's layout, without Django)."""
    paths = set()
    for fields in (line.split() for line in pairs_file.read_text().splitlines()[1:]):
        if len(fields) == 3:
            paths |= {f"{fields[0]}/{fields[0]}_{int(number):04d}.jpg" for number in fields[1:]}
        elif len(fields) == 4:
            paths |= {f"{fields[0]}/{fields[0]}_{int(fields[1]):04d}.jpg"}
            paths |= {f"{fields[2]}/{fields[2]}_{int(fields[3]):04d}.jpg"}
    return sorted(paths)


def framing_fit(embedder: DlibEmbedder, options: argparse.Namespace) -> np.ndarray:
    """How dlib's HOG detector frames the face MTCNN boxes, as the median (left, top)
    offset and (width, height) scale in units of MTCNN's box, on LFW folds 1-5."""
    stored = np.load(options.cache / "dlib-lfw-framing-boxes.npz")
    relations = []
    for path, (left, top, width, height) in zip(stored["paths"], stored["boxes"], strict=True):
        centre_x, centre_y = left + width / 2, top + height / 2
        for face in embedder.hog(rgb_read(options.lfw / "lfw" / path), 1):
            if abs(face.center().x - centre_x) < width / 3 and abs(face.center().y - centre_y) < height / 3:
                relations.append(
                    ((face.left() - left) / width, (face.top() - top) / height, face.width() / width)
                    + (face.height() / height,)
                )
                break
    framing = np.median(np.array(relations), axis=0)
    print(
        f"HOG's framing of MTCNN's box, from {len(relations)} LFW folds 1-5 faces: left {framing[0]:+.3f}, "
        f"top {framing[1]:+.3f} (x box), width x{framing[2]:.3f}, height x{framing[3]:.3f}"
    )
    return framing


def framed(box: np.ndarray, framing: np.ndarray) -> np.ndarray:
    left, top, width, height = box
    return np.array(
        [left + framing[0] * width, top + framing[1] * height, framing[2] * width, framing[3] * height]
    ).round()


def embed_step(options: argparse.Namespace) -> None:
    embedder = DlibEmbedder()
    celeba_target = options.cache / "dlib-celeba.npz"
    if not celeba_target.exists():
        framing = framing_fit(embedder, options)
        stored, vectors, raw_vectors = np.load(options.cache / "dlib-celeba-boxes.npz"), [], []
        started = time.perf_counter()
        for path, box in zip(stored["paths"], stored["boxes"], strict=True):
            pixels = rgb_read(options.celeba / path)
            vectors.append(embedder.embed(pixels, framed(box, framing)))
            raw_vectors.append(embedder.embed(pixels, box))
        print(f"CelebA: {len(vectors)} faces, each twice, in {time.perf_counter() - started:.0f} s")
        np.savez(
            celeba_target,
            paths=stored["paths"],
            labels=stored["labels"],
            vectors=np.stack(vectors),
            raw_vectors=np.stack(raw_vectors),
            framing=framing,
        )
    lfw_target = options.cache / "dlib-lfw.npz"
    if not lfw_target.exists():
        paths, vectors, boxes, found = lfw_paths(options.lfw / "pairs.txt"), [], [], []
        started = time.perf_counter()
        for path in paths:
            pixels = rgb_read(options.lfw / "lfw" / path)
            box, hog_found = embedder.lfw_box(pixels)
            vectors.append(embedder.embed(pixels, box))
            boxes.append(box)
            found.append(hog_found)
        print(
            f"LFW: {len(paths)} images in {time.perf_counter() - started:.0f} s; "
            f"HOG found no face in {len(found) - sum(found)} (central box used)"
        )
        np.savez(
            lfw_target, paths=np.array(paths), vectors=np.stack(vectors), boxes=np.array(boxes), found=found
        )


# Step 3 (dlib venv, then the project venv) ----------------------------------------------


def cost_rows(options: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """(paths, boxes) of COST_FACES CelebA faces spread over the rows."""
    stored = np.load(options.cache / "dlib-celeba-boxes.npz")
    rows = np.linspace(0, len(stored["paths"]) - 1, COST_FACES).astype(int)
    return stored["paths"][rows], stored["boxes"][rows]


def milliseconds(function, items: list) -> np.ndarray:
    """Wall time of function(item) per item, after one untimed warm-up call."""
    function(items[0])
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append(1000 * (time.perf_counter() - started))
    return np.array(times)


def cost_print(name: str, times: np.ndarray) -> None:
    print(f"  {name:<44} p50 {np.median(times):6.1f} ms   p90 {np.percentile(times, 90):6.1f} ms")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def cost_step(options: argparse.Namespace) -> None:
    os.sched_setaffinity(0, {options.core})
    paths, boxes = cost_rows(options)
    images = [rgb_read(options.celeba / path) for path in paths]
    embedder = DlibEmbedder()
    print(f"Cost per face, {len(paths)} CelebA faces one at a time, core {options.core} only")
    print(f"  before: {uptime()}")
    cost_print(
        "dlib: shape predictor + descriptor",
        milliseconds(lambda i: embedder.embed(images[i], boxes[i]), list(range(len(images)))),
    )
    subprocess.run(
        [
            str(PROJECT_PYTHON),
            __file__,
            "facenet-cost",
            "--core",
            str(options.core),
            "--cache",
            str(options.cache),
            "--celeba",
            str(options.celeba),
        ],
        check=True,
    )
    print(f"  after:  {uptime()}")


def facenet_cost_step(options: argparse.Namespace) -> None:
    """FaceNet's chip + embedding of the cost faces, each alone (project venv)."""
    os.sched_setaffinity(0, {options.core})
    sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    import django

    django.setup()
    from pipeline.detection import DetectedFace
    from recognition.embedders.facenet import facenet_embedder

    paths, boxes = cost_rows(options)
    images = [rgb_read(options.celeba / path) for path in paths]
    faces = [DetectedFace(*(int(value) for value in box)) for box in boxes]
    embedder = facenet_embedder()

    def embed(index: int) -> np.ndarray:
        return embedder.embed_chips([embedder.chip(images[index], faces[index])])

    cost_print("FaceNet: chip + embedding", milliseconds(embed, list(range(len(images)))))


# Step 4 (project venv) ------------------------------------------------------------------


@dataclass(frozen=True)
class FloorRule(Rule):
    """open_set's impostor-model rule with an embedding's own 1:1 threshold as its floor."""

    floor: float = 0.0

    def decide(self, run, model) -> tuple[np.ndarray, np.ndarray]:
        from recognition.gallery.thresholds import impostor_bars

        bar = impostor_bars(model, run.identity_faces, far=FAR, floor=self.floor)[0]
        return run.best >= bar, np.zeros(len(run.best), bool)


@dataclass
class Embedding:
    """One way of scoring faces: unit vectors of the CelebA rows and of every LFW image
    (sorted paths), whose dot products are its scores."""

    name: str
    celeba: np.ndarray
    lfw: np.ndarray
    # Same person at or above this score (1:1): the open-set threshold's floor.
    floor: float = 0.0
    # Its impostor model (recognition.ml.impostors), measured on LFW folds 1-5.
    model: object = None

    @property
    def rule(self) -> FloorRule:
        return FloorRule(self.name, floor=self.floor)


@dataclass
class Lfw:
    """LFW's pairs as rows of the sorted image paths, and the images of folds 1-5 and 6-10
    with their people as open_set.lfw_faces numbers them."""

    paths: list[str]
    first: np.ndarray
    second: np.ndarray
    same: np.ndarray
    folds: np.ndarray
    fit_rows: np.ndarray
    fit_labels: np.ndarray
    report_rows: np.ndarray
    report_labels: np.ndarray

    @property
    def fit_pairs(self) -> np.ndarray:
        return self.folds < 5

    def pair_scores(self, embedding: Embedding) -> np.ndarray:
        return np.sum(embedding.lfw[self.first] * embedding.lfw[self.second], axis=1)

    def faces(self, embedding: Embedding, fit: bool) -> Faces:
        rows, labels = (self.fit_rows, self.fit_labels) if fit else (self.report_rows, self.report_labels)
        count = len(labels)
        return Faces(
            embedding.lfw[rows], labels, np.full(count, 100.0), np.ones(count), np.full(count, 100.0)
        )


def lfw_read(pairs_file: Path) -> Lfw:
    from recognition.ml.lfw import lfw_pairs_read

    pairs = lfw_pairs_read(pairs_file)
    paths = sorted({path for pair in pairs for path in (pair.first, pair.second)})
    row = {path: index for index, path in enumerate(paths)}

    def people(folds: range) -> tuple[np.ndarray, np.ndarray]:
        images = sorted({path for pair in pairs if pair.fold in folds for path in (pair.first, pair.second)})
        _, labels = np.unique([path.split("/")[0] for path in images], return_inverse=True)
        return np.array([row[path] for path in images]), labels

    return Lfw(
        paths,
        np.array([row[pair.first] for pair in pairs]),
        np.array([row[pair.second] for pair in pairs]),
        np.array([pair.same for pair in pairs]),
        np.array([pair.fold for pair in pairs]),
        *people(range(0, 5)),
        *people(range(5, 10)),
    )


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fused(facenet: Embedding, dlib: Embedding, weight: float) -> Embedding:
    """weight x FaceNet's cosine + (1 - weight) x dlib's, as the cosine of one vector."""

    def join(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return np.hstack([np.sqrt(weight) * first, np.sqrt(1 - weight) * second]).astype(np.float32)

    return Embedding(f"fused w={weight:.2f}", join(facenet.celeba, dlib.celeba), join(facenet.lfw, dlib.lfw))


def embeddings_load(options: argparse.Namespace, celeba: Faces, lfw: Lfw) -> tuple[Embedding, Embedding]:
    """FaceNet's and dlib's vectors, their rows checked to be the same faces."""
    boxes = np.load(options.cache / "dlib-celeba-boxes.npz")
    dlib_celeba = np.load(options.cache / "dlib-celeba.npz")
    same_faces = (
        np.array_equal(boxes["labels"], celeba.labels)
        and np.array_equal(boxes["size"], celeba.size)
        and np.allclose(boxes["confidence"], celeba.confidence, atol=1e-3)
        and np.array_equal(dlib_celeba["paths"], boxes["paths"])
    )
    if not same_faces:
        sys.exit(f"{options.facenet_celeba} and dlib-celeba-boxes.npz hold different faces: rerun `boxes`.")
    facenet_lfw, dlib_lfw = np.load(options.facenet_lfw), np.load(options.cache / "dlib-lfw.npz")
    chip = str(facenet_lfw["chip"]) if "chip" in facenet_lfw else "mtcnn box as found margin 0.13"
    facenet_rows = {path: row for row, path in enumerate(facenet_lfw["paths"].tolist())}
    if chip != "mtcnn box as found margin 0.13" or not set(lfw.paths) <= set(facenet_rows):
        sys.exit(f"{options.facenet_lfw} does not hold recognition's MTCNN chips of every LFW image.")
    if dlib_lfw["paths"].tolist() != lfw.paths:
        sys.exit("dlib-lfw.npz does not hold every LFW image: rerun `embed`.")
    norms = np.percentile(np.linalg.norm(dlib_lfw["vectors"], axis=1), [1, 50, 99])
    print(
        f"dlib on LFW: HOG found {int(dlib_lfw['found'].sum())} of {len(lfw.paths)} faces (the central box "
        f"for the rest); descriptor lengths {norms[1]:.2f} median, {norms[0]:.2f}-{norms[2]:.2f} for 98%"
    )
    if options.celeba_box == "framed":
        print(
            "dlib on CelebA: MTCNN's box framed as HOG frames it, by {:+.3f} {:+.3f} x{:.3f} x{:.3f}".format(
                *dlib_celeba["framing"]
            )
        )
    facenet_vectors = facenet_lfw["vectors"][[facenet_rows[path] for path in lfw.paths]]
    celeba_vectors = dlib_celeba["vectors" if options.celeba_box == "framed" else "raw_vectors"]
    return (
        Embedding("FaceNet", unit(celeba.vectors), unit(facenet_vectors)),
        Embedding("dlib", unit(celeba_vectors), unit(dlib_lfw["vectors"])),
    )


def fold_accuracies(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """LFW's protocol: each fold tested at the best-accuracy threshold of the others."""
    from recognition.ml.scores import best_threshold

    accuracies = []
    for fold in np.unique(folds):
        test = folds == fold
        threshold = best_threshold(scores[~test], same[~test])
        accuracies.append(np.mean((scores[test] >= threshold) == same[test]))
    return np.array(accuracies)


def fit(embedding: Embedding, lfw: Lfw, floor: float | None = None) -> Embedding:
    """Its 1:1 threshold (best accuracy on the pairs of LFW folds 1-5, unless given) and
    its impostor model (on the people of LFW folds 1-5)."""
    from recognition.ml.impostors import measure
    from recognition.ml.scores import best_threshold

    scores = lfw.pair_scores(embedding)[lfw.fit_pairs]
    embedding.floor = best_threshold(scores, lfw.same[lfw.fit_pairs]) if floor is None else floor
    faces = lfw.faces(embedding, fit=True)
    embedding.model = measure(faces.vectors, faces.labels, source=f"{embedding.name}, LFW folds 1-5")
    return embedding


def fusion_choose(facenet: Embedding, dlib: Embedding, lfw: Lfw, splits: int) -> Embedding:
    """The fused score whose weight names the most enrolled people rightly in the LFW
    folds 1-5 run (all people with two photos or more, enrolled with one)."""
    spreads = []
    for embedding in (facenet, dlib):
        faces = lfw.faces(embedding, fit=True)
        scores = faces.vectors @ faces.vectors.T
        spreads.append(scores[faces.labels[:, None] != faces.labels[None, :]].std())
    z_weight = round(float(spreads[1] / (spreads[0] + spreads[1])), 2)
    print(
        f"\nFIT (LFW folds 1-5, not a result). Different-person scores' spread: FaceNet {spreads[0]:.3f}, "
        f"dlib {spreads[1]:.3f}, so z-scores weigh FaceNet {z_weight:.2f}.\n"
        f"Folds 1-5 run ({splits} splits): named rightly, strangers named; 1:1 threshold, its accuracy:"
    )
    candidates = [fit(fused(facenet, dlib, weight), lfw) for weight in sorted({*WEIGHT_GRID, z_weight})]
    rightly = {}
    for embedding in [facenet, dlib, *candidates]:
        fit_faces, fit_strangers, fit_people = lfw_split(lfw.faces(embedding, fit=True))
        runs = runs_make(fit_faces, fit_strangers, len(fit_people), 1, splits)
        shares = figures(runs, embedding.rule, embedding.model)
        rightly[embedding.name] = shares["named rightly"].mean()
        fit_pairs = lfw.fit_pairs
        accuracy = fold_accuracies(
            lfw.pair_scores(embedding)[fit_pairs], lfw.same[fit_pairs], lfw.folds[fit_pairs]
        )
        print(
            f"  {embedding.name:<13} {100 * rightly[embedding.name]:6.2f}%  "
            f"{100 * shares['strangers named'].mean():5.2f}%   {embedding.floor:.3f}  "
            f"{100 * accuracy.mean():.2f}%"
        )
    return max(candidates, key=lambda embedding: rightly[embedding.name])


def verification_print(embeddings: list[Embedding], lfw: Lfw, dlib_raw: np.ndarray) -> None:
    """LFW's 10-fold accuracy of each, plain cosine and FaceNet's mean-subtracted scoring."""
    from recognition.ml.lfw import lfw_folds_evaluate

    print("\nLFW 10-fold verification accuracy (6,000 pairs; each fold at the other 9 folds' threshold):")
    for embedding in embeddings:
        scores = lfw.pair_scores(embedding)
        plain = fold_accuracies(scores, lfw.same, lfw.folds)
        left, right = embedding.lfw[lfw.first], embedding.lfw[lfw.second]
        subtracted = np.array(lfw_folds_evaluate(left, right, lfw.same, lfw.folds)["accuracies"])
        at_floor = np.mean((scores >= embedding.floor) == lfw.same)
        print(
            f"  {embedding.name:<13} cosine {100 * plain.mean():.2f}% ± {100 * plain.std():.2f} "
            f"(folds 6-10 {100 * plain[5:].mean():.2f}%); mean-subtracted {100 * subtracted.mean():.2f}% ± "
            f"{100 * subtracted.std():.2f}; at its 1:1 threshold {embedding.floor:.3f}: {100 * at_floor:.2f}%"
        )
    distances = np.linalg.norm(dlib_raw[lfw.first] - dlib_raw[lfw.second], axis=1)
    euclidean = fold_accuracies(-distances, lfw.same, lfw.folds)
    print(
        f"  dlib by Euclidean distance: {100 * euclidean.mean():.2f}% ± {100 * euclidean.std():.2f}; "
        f"at face_recognition's tolerance 0.6: {100 * np.mean((distances <= 0.6) == lfw.same):.2f}%"
    )


def open_set_print(embeddings: list[Embedding], celeba: Faces, lfw: Lfw, splits: int) -> None:
    """open_set.py's runs (galleries, seeded splits, strangers) for each embedding."""
    from recognition.gallery.thresholds import impostor_bars

    missed: dict[str, list[str]] = {embedding.name: [] for embedding in embeddings}

    def table(title: str, enrolment: int, make) -> None:
        runs = {embedding.name: make(embedding) for embedding in embeddings}
        run = runs[embeddings[0].name][0]
        print(
            f"\n{title}: {run.identities} people, {run.faces} gallery faces; {int(run.enrolled.sum())} "
            f"enrolled probes, {int((~run.enrolled).sum())} stranger probes; {splits} splits"
        )
        names = ("strangers named", "named rightly", "named wrongly", "unknown")
        print(f"  {'embedder (threshold)':<22}" + "".join(f"{name:>17}" for name in names))
        for embedding in embeddings:
            shares = figures(runs[embedding.name], embedding.rule, embedding.model)
            bar = impostor_bars(embedding.model, run.identity_faces, far=FAR, floor=embedding.floor)[0]
            cells = "".join(
                f"{100 * shares[name].mean():9.2f} ± {100 * shares[name].std():4.2f}" for name in names
            )
            print(f"  {f'{embedding.name} ({bar:.3f})':<22}{cells}")
            texts = targets_check({"rule": shares}, enrolment, "rule")
            missed[embedding.name] += [f"{title}: {text}" for text in texts]

    def celeba_of(embedding: Embedding) -> Faces:
        return Faces(embedding.celeba, celeba.labels, celeba.size, celeba.confidence, celeba.sharpness)

    people = len(np.unique(celeba.labels))
    for enrolment in (1, 5):
        for size in GALLERY_SIZES:
            title = f"CelebA, {size} people x {enrolment} photo{'s' if enrolment > 1 else ''}"
            title += ", strangers from LFW folds 6-10" if size >= people else ""

            def make(embedding: Embedding, size=size, enrolment=enrolment) -> list:
                strangers = lfw.faces(embedding, fit=False) if size >= people else None
                return runs_make(celeba_of(embedding), strangers, size, enrolment, splits)

            table(title, enrolment, make)
    lfw_people = len(people_with(lfw.faces(embeddings[0], fit=False), 2))
    for size in (*GALLERY_SIZES, lfw_people):

        def make(embedding: Embedding, size=size) -> list:
            enrollable, strangers, _ = lfw_split(lfw.faces(embedding, fit=False))
            return runs_make(enrollable, strangers, size, 1, splits)

        table(f"LFW folds 6-10, {min(size, lfw_people)} people x 1 photo", 1, make)
    print("\nTargets: strangers named <= 1.5%; 5 photos: rightly >= 88%, wrongly < 1%; 1 photo: >= 60%")
    for name, texts in missed.items():
        print(f"  {name}: " + ("all met" if not texts else f"{len(texts)} missed"))
        for text in texts:
            print(f"    - {text}")


def report_step(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        django_setup(sqlite_url(Path(directory)), Path(directory))
        report(options)
    sys.stdout.flush()


def report(options: argparse.Namespace) -> None:
    """Fit on LFW folds 1-5, then print LFW's accuracies and open_set.py's tables."""
    from recognition.gallery.thresholds import impostor_model, verification_threshold

    # FaceNet's caches are read from private copies, so that nothing here can touch them.
    copies = Path(tempfile.mkdtemp(prefix="dlib-fusion-"))
    options.facenet_celeba = Path(shutil.copy(options.facenet_celeba, copies))
    options.facenet_lfw = Path(shutil.copy(options.facenet_lfw, copies))
    celeba = Faces(**np.load(options.facenet_celeba))
    lfw = lfw_read(options.lfw / "pairs.txt")
    facenet, dlib = embeddings_load(options, celeba, lfw)
    fit(facenet, lfw, floor=verification_threshold())
    fit(dlib, lfw)
    committed = impostor_model("facenet")
    here, there = (model.threshold([5] * 81, far=FAR) for model in (facenet.model, committed))
    print(
        f"FaceNet's impostor model at 81 people x 5 photos: {here:.3f} measured here, {there:.3f} committed"
    )
    chosen = fusion_choose(facenet, dlib, lfw, options.splits)
    embeddings = [facenet, dlib, chosen]
    verification_print(embeddings, lfw, np.load(options.cache / "dlib-lfw.npz")["vectors"])
    open_set_print(embeddings, celeba, lfw, options.splits)
    shutil.rmtree(copies)


def main() -> None:
    options = arguments()
    steps = {
        "boxes": boxes_step,
        "embed": embed_step,
        "cost": cost_step,
        "facenet-cost": facenet_cost_step,
        "report": report_step,
    }
    steps[options.step](options)


if __name__ == "__main__":
    main()
