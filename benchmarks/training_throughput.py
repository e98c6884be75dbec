"""Training throughput (images/second) and peak memory of each architecture, at 1x and 10x a dataset.

Usage: .venv/bin/python benchmarks/training_throughput.py [--identities 20] [--faces 30]
       [--architectures small_cnn,inception_v3,facenet_head] [--input-size 96]

Generates synthetic 160x160 JPEG crops in a throwaway SQLite database and media folder:
two dataset versions with the same identities, one with `--faces` training faces per
identity (1x) and one with ten times as many (10x); both have the same 5 validation
faces per identity, so an epoch does the same work at both sizes. Each (architecture,
size) trains for two epochs in a fresh subprocess through the real training code
(recognition.services.training.model_train: tf.data streaming, augmentation, callbacks, backups).
Images/second are those of the second epoch (the first includes graph tracing); peak
memory is the subprocess's maximum resident set size. Flat memory from 1x to 10x means
nothing holds the whole dataset.

facenet_head's one-off cost is embedding each crop with FaceNet, measured on the 1x
dataset; at 10x its embedding cache is seeded with random unit vectors (its memory is
512 float32 per face, 2 KiB, by design), and the head trains on them.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_django import django_setup, sqlite_url

PROJECT_DIR = Path(__file__).resolve().parents[1]
VALIDATION_FACES = 5
TEST_FACES = 2
# Steps per epoch and batch size per architecture: inception_v3 does ~20 images/s on two cores.
WORK = {"small_cnn": (20, 32), "inception_v3": (3, 16), "facenet_head": (200, 32)}


def crop_jpeg(label: int, variant: int) -> bytes:
    """A 160x160 crop: the identity's colour and a shape, with per-variant noise."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(label * 100_000 + variant)
    base = np.array([(label * 67) % 256, (label * 131) % 256, (label * 199) % 256])
    pixels = np.clip(base + rng.normal(0, 25, (160, 160, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    offset = int(rng.integers(-10, 10))
    ImageDraw.Draw(image).ellipse((40 + offset, 30, 120 + offset, 130), outline=(255, 255, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def datasets_generate(identities: int, faces: int) -> dict[str, int]:
    """Write the crops once and make the 1x and 10x dataset versions over them."""
    from django.conf import settings

    from pipeline.models import DatasetItem, DatasetVersion

    folder = Path(settings.MEDIA_ROOT) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    ids = {}
    for scale in (1, 10):
        dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY, name=f"{scale}x")
        items = []
        for label in range(identities):
            splits = [("train", faces * scale), ("validation", VALIDATION_FACES), ("test", TEST_FACES)]
            variant = 0
            for split, count in splits:
                for _ in range(count):
                    name = f"bench/{label}-{split}-{variant}.jpg"
                    if not (folder.parent / name).exists():
                        (folder.parent / name).write_bytes(crop_jpeg(label, variant))
                    items.append(
                        DatasetItem(
                            dataset=dataset,
                            identity_name=f"Person {label:03d}",
                            label=label,
                            split=split,
                            file=name,
                        )
                    )
                    variant += 1
        DatasetItem.objects.bulk_create(items, batch_size=2000)
        ids[f"{scale}x"] = dataset.pk
        print(f"{scale}x dataset: {identities} identities, {len(items)} crops", flush=True)
    return ids


class QuietProgress:
    """The JobProgress methods training calls, doing nothing."""

    def step(self, text):
        pass

    def describe(self, text):
        pass

    def write(self, force=False):
        pass

    def log(self, line):
        pass

    def advance(self, done, total=None, summary=None):
        pass


def child_run(architecture: str, dataset_id: int, input_size: int) -> dict:
    """Train two epochs through model_train and report the second epoch's speed."""
    import numpy as np

    from pipeline.datasets import dataset_classes
    from pipeline.models import DatasetVersion
    from recognition.architectures.config import TrainingConfig
    from recognition.services.training import artifact_files_write, model_train, model_version_create

    steps, batch_size = WORK[architecture]
    dataset = DatasetVersion.objects.get(pk=dataset_id)
    identities = len(dataset_classes(dataset))
    per_identity = max(1, steps * batch_size // identities)
    config = TrainingConfig(
        architecture=architecture,
        input_size=input_size,
        epochs=2,
        batch_size=batch_size,
        target_accuracy=1.0,
        augmentation={"target_per_identity": per_identity},
    )
    model_version = model_version_create(dataset=dataset, config=config, actor=None)
    artifact_files_write(model_version, config)
    result = {"architecture": architecture, "dataset": dataset.name}
    if not model_version.adapter.sees_pixels:
        result.update(_embeddings_prepare(model_version, np))
    model_train(model_version=model_version, config=config, progress=QuietProgress())
    last = model_version.history[-1]
    result.update(images_per_second=last["images_per_second"], epoch_seconds=last["seconds"])
    return result


def _embeddings_prepare(model_version, np) -> dict:
    """At 1x, embed every crop with FaceNet (timed); at 10x, seed the cache with random unit vectors."""
    if model_version.dataset.name == "1x":
        from recognition.embedders.facenet import facenet_embedder

        # Load the graph before the clock starts: that is a once-per-process cost.
        facenet_embedder().embed_chips([np.zeros((160, 160, 3), np.uint8)])
        started = time.perf_counter()
        splits = ("train", "validation")
        count = sum(len(model_version.adapter.split_embeddings(split)[1]) for split in splits)
        return {
            "embedded_crops": count,
            "embed_crops_per_second": round(count / (time.perf_counter() - started), 1),
        }
    from pipeline.datasets import dataset_split_items

    rng = np.random.default_rng(0)
    for split in ("train", "validation"):
        labels = np.array(
            [label for _, label, _ in dataset_split_items(model_version.dataset, split)], np.int32
        )
        vectors = rng.normal(size=(len(labels), 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        np.savez(model_version.artifact_path() / f"embeddings-{split}.npz", vectors=vectors, labels=labels)
    return {"embedded_crops": "seeded"}


def child_start(work_dir: Path, architecture: str, dataset_id: int, input_size: int) -> tuple[dict, float]:
    """Run one measurement in a fresh process; its JSON result and peak RSS in MiB."""
    command = [
        sys.executable,
        __file__,
        "--child",
        architecture,
        str(dataset_id),
        str(input_size),
        str(work_dir),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{architecture} on dataset {dataset_id} failed (exit {process.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    return result, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=20)
    parser.add_argument("--faces", type=int, default=30, help="training faces per identity at 1x")
    parser.add_argument("--architectures", default="small_cnn,inception_v3,facenet_head")
    parser.add_argument("--input-size", type=int, default=96)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        architecture, dataset_id, input_size, work_dir = arguments.child
        django_setup(sqlite_url(Path(work_dir)), Path(work_dir), migrate=False)
        print(json.dumps(child_run(architecture, int(dataset_id), int(input_size))))
        return
    with tempfile.TemporaryDirectory(prefix="facesite-train-bench-") as work_dir:
        django_setup(sqlite_url(Path(work_dir)), Path(work_dir), migrate=False)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        print(f"{os.cpu_count()} CPUs; input {arguments.input_size}x{arguments.input_size}", flush=True)
        dataset_ids = datasets_generate(arguments.identities, arguments.faces)
        for architecture in arguments.architectures.split(","):
            for scale, dataset_id in dataset_ids.items():
                result, peak_mib = child_start(Path(work_dir), architecture, dataset_id, arguments.input_size)
                extra = {k: v for k, v in result.items() if k.startswith("embed")}
                print(
                    f"{architecture:13s} {scale:>3s}: {result['images_per_second']:8.1f} images/s "
                    f"(epoch {result['epoch_seconds']} s), peak RSS {peak_mib:7.0f} MiB"
                    + (f"  {extra}" if extra else ""),
                    flush=True,
                )


if __name__ == "__main__":
    main()
