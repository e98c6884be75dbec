"""Latency of the recognize service for a 640x480 photo with one face, and of its figures.

    .venv/bin/python benchmarks/recognition_latency.py          # gallery of 10,000, small CNN active
    .venv/bin/python benchmarks/recognition_latency.py --model none --gallery 100000
    .venv/bin/python benchmarks/recognition_latency.py --gallery-embedder active-model
    .venv/bin/python benchmarks/recognition_latency.py --model none --detectors mtcnn,yunet
    .venv/bin/python benchmarks/recognition_latency.py --model none --gallery-embedder facenet,facenet-dlib

1. Migrate a scratch SQLite database and fill the gallery with --gallery random unit
   embeddings (search time depends on the gallery's size, not on what the vectors say).
2. With --model small_cnn (default), facenet_head or inception_v3, save an untrained model
   of that architecture at the training defaults' input size and make it active: its
   prediction costs the same as a trained one's.
   With --gallery-embedder active-model or facenet-dlib, every gallery face also gets a
   random row of that embedder (the model's layer before the softmax, or FaceNet fused
   with dlib), and the gallery searches those instead of FaceNet's.
3. Compose the photo: a CelebA photo scaled to 400 pixels high on a 640x480 grey canvas.
4. Warm up (model loads, graph builds), then time --runs calls of photo_recognize, the
   whole service the upload page and the API call: decode, detect, chip, embed, gallery
   search, model prediction, storing the result (and the expired-result cleanup). With
   several --detectors or --gallery-embedder values, recognition uses each in turn, run
   by run, so a change in the machine's load falls on each alike.
5. Time drawing each figure of the face from scratch (no cache), --figure-runs times.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_django import django_setup, sqlite_url
from gallery_search import populate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Input sizes that differ from the training default: Inception V3 at its original size.
INPUT_SIZES = {"inception_v3": 160}
DEFAULT_PHOTO = PROJECT_ROOT / "tests" / "fixtures" / "celeba" / "7221" / "012125.jpg"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gallery", type=int, default=10_000, help="gallery embeddings (default 10,000)")
    parser.add_argument("--model", default="small_cnn", help="small_cnn, facenet_head, inception_v3 or none")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--figure-runs", type=int, default=3)
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO, help="a photo with one face")
    parser.add_argument(
        "--detectors", help="comma-separated detectors to compare (default: the one recognition uses)"
    )
    parser.add_argument(
        "--gallery-embedder",
        default="facenet",
        help="comma-separated: what the gallery searches with (FACESITE_GALLERY_EMBEDDER values: facenet, "
        "facenet-dlib, active-model; active-model needs an image model)",
    )
    return parser.parse_args()


def photo_compose(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as source:
        face = source.convert("RGB")
    face = face.resize((round(face.width * 400 / face.height), 400), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(face, ((640 - face.width) // 2, 40))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def model_activate(architecture: str, identities: int = 100):
    """An untrained model of the architecture, saved as training saves it, and active."""
    from identities.models import Identity
    from pipeline.models import DatasetVersion
    from recognition.architectures.config import TrainingConfig
    from recognition.models import ModelVersion

    size = INPUT_SIZES.get(architecture, TrainingConfig().input_size)
    people = list(Identity.objects.order_by("pk")[:identities])
    model_version = ModelVersion.objects.create(
        dataset=DatasetVersion.objects.create(status=DatasetVersion.Status.READY, name="bench"),
        architecture=architecture,
        config={"input_size": size},
        status=ModelVersion.Status.READY,
        classes=[{"identity_id": person.pk, "name": person.name} for person in people],
        unknown_threshold=0.5,
        is_active=True,
    )
    model_version.artifact_dir = f"models/{model_version.pk}"
    model_version.save(update_fields=["artifact_dir"])
    adapter = model_version.adapter
    model_version.artifact_path().mkdir(parents=True)
    adapter.make_model(adapter.input_shape(TrainingConfig(input_size=size)), len(people)).save(
        model_version.model_path()
    )
    return model_version


def gallery_rows_fill(embedder) -> None:
    """Give every gallery face a random unit row of the embedder, as the gallery job would."""
    import numpy as np

    from recognition.models import FaceEmbedding

    face_ids = list(FaceEmbedding.objects.order_by("pk").values_list("face_id", flat=True).distinct())
    generator = np.random.default_rng(1)
    for start in range(0, len(face_ids), 5000):
        chunk = face_ids[start : start + 5000]
        vectors = generator.normal(size=(len(chunk), embedder.dimension)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        FaceEmbedding.objects.bulk_create(
            FaceEmbedding(face_id=face_id, embedder=embedder.name, vector=vector.tobytes())
            for face_id, vector in zip(chunk, vectors, strict=True)
        )
    print(f"gallery rows of {embedder.label} ({embedder.dimension}-d)")


def percentiles(milliseconds: list[float]) -> tuple[float, float]:
    ordered = sorted(milliseconds)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def recognition_measure(data: bytes, user, runs: int, variants: list[tuple[str, str]]):
    """Time recognition with each (detector, gallery embedder) in turn, run by run."""
    from unittest import mock

    from django.test import override_settings

    from recognition.services import uploads

    def recognize(variant: tuple[str, str], timings=None):
        detector, embedder = variant
        with (
            mock.patch.object(uploads, "RECOGNITION_DETECTOR", detector),
            override_settings(FACESITE_GALLERY_EMBEDDER=embedder),
        ):
            return uploads.photo_recognize(data=data, user=user, keep=False, timings=timings)

    for variant in variants:
        for _ in range(3):
            result = recognize(variant)
        assert len(result.faces) == 1, f"{variant}: expected one face, found {len(result.faces)}"
    totals, stages = {variant: [] for variant in variants}, {variant: [] for variant in variants}
    for _ in range(runs):
        for variant in variants:
            timings = uploads.Timings()
            started = time.perf_counter()
            result = recognize(variant, timings)
            totals[variant].append((time.perf_counter() - started) * 1000)
            stages[variant].append(timings.stages)
    for variant in variants:
        p50, p95 = percentiles(totals[variant])
        slowest = max(totals[variant])
        title = f"{variant[0]}, gallery {variant[1]}"
        print(f"\nrecognize with {title}, {runs} runs (ms): p50 {p50:.0f}  p95 {p95:.0f}  max {slowest:.0f}")
        for stage in stages[variant][0]:
            stage_p50, stage_p95 = percentiles([each[stage] * 1000 for each in stages[variant]])
            print(f"  {stage:<10} p50 {stage_p50:7.1f}  p95 {stage_p95:7.1f}")
    return result


def figures_measure(result, runs: int) -> None:
    from django.core.files.storage import default_storage

    from recognition.services.figures import FIGURES, FigureUnavailable, figure_png

    print(f"\nfigures, drawn from scratch, {runs} runs each after one warm-up (ms)")
    for figure in FIGURES:
        cache_name = f"{result.files_dir}/face-1-{figure}.png"
        times = []
        try:
            for _ in range(runs + 1):
                default_storage.delete(cache_name)
                started = time.perf_counter()
                figure_png(result, 1, figure)
                times.append((time.perf_counter() - started) * 1000)
        except FigureUnavailable as reason:
            print(f"  {figure:<22} n/a: {reason}")
            continue
        p50, _ = percentiles(times[1:])
        print(f"  {figure:<22} p50 {p50:6.0f}  first {times[0]:6.0f}")
        started = time.perf_counter()
        figure_png(result, 1, figure)
        print(f"  {'':<22} cached {(time.perf_counter() - started) * 1000:.1f}")


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        work_directory = Path(directory)
        django_setup(sqlite_url(work_directory), work_directory)
        import os

        from django.contrib.auth import get_user_model

        started = time.perf_counter()
        populate(options.gallery, 10)
        seconds = time.perf_counter() - started
        print(f"{os.cpu_count()} CPUs; gallery of {options.gallery:,} embeddings made in {seconds:.0f} s")
        embedders = options.gallery_embedder.split(",")
        if options.model != "none":
            model_version = model_activate(options.model)
            print(f"active model: untrained {options.model}, {model_version.config}")
            if "active-model" in embedders:
                from recognition.embedders.model import ModelEmbedder

                gallery_rows_fill(ModelEmbedder(model_version))
        if "facenet-dlib" in embedders:
            from recognition.embedders.dlib_resnet import fused_embedder

            gallery_rows_fill(fused_embedder())
        user = get_user_model().objects.create_user("bench")
        data = photo_compose(options.photo)
        print(f"photo: 640x480 JPEG, {len(data):,} bytes, from {options.photo.name}")
        from pipeline.detection import RECOGNITION_DETECTOR

        detectors = options.detectors.split(",") if options.detectors else [RECOGNITION_DETECTOR]
        print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} before the runs")
        variants = [(detector, embedder) for detector in detectors for embedder in embedders]
        result = recognition_measure(data, user, options.runs, variants)
        print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} after the runs")
        if options.figure_runs > 0:
            figures_measure(result, options.figure_runs)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
