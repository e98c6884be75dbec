"""Accuracy of small_cnn and facenet_head on CelebA identities, against a nearest-centroid baseline.

Usage: .venv/bin/python benchmarks/celeba_accuracy.py [--detector haar] [--min-faces 10]
       [--per-identity 20] [--cnn-epochs 15] [--cnn-input-size 64] [--cnn-per-identity 60] [DATA_DIR]

The whole workflow, in a throwaway SQLite database and media folder:
1. Import ../shared/data/celeba_subset/images (81 identities, 10-30 photos each) with
   the import service, approving every face found (--approve).
2. Build a dataset version with the dataset service. CelebA's subset is small, so the
   original's 30 minimum and 50 per identity become 10 and 20 here: 70/20/10 per
   identity gives 14 training, 4 validation and 2 test faces per full identity.
3. Train and evaluate facenet_head and small_cnn with the training service (the TRAIN
   job, run in this process).
4. Print each one's test top-1/top-5 beside the nearest-centroid baseline on FaceNet
   embeddings of the same split.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_django import django_setup as django_point
from bench_django import sqlite_url

PROJECT_DIR = Path(__file__).resolve().parents[1]
# The sibling benchmark's setup helpers are imported from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"


def django_setup(work_dir: Path) -> None:
    """A throwaway database and media folder, as the throughput benchmark makes them, migrated."""
    django_point(sqlite_url(work_dir), work_dir, migrate=False)
    from django.core.management import call_command

    # Approving faces queues the gallery job, which cannot be enqueued without Redis;
    # this benchmark does not need it, so the enqueue failures are not printed.
    logging.getLogger("pipeline.services").setLevel(logging.CRITICAL)
    call_command("migrate", interactive=False, verbosity=0)


def celeba_import(images_dir: Path, detector: str) -> None:
    from pipeline.importer import faces_import

    started = time.perf_counter()
    summary = faces_import(path=images_dir, detector_name=detector, approve=True)
    print(f"Imported with {detector} in {time.perf_counter() - started:.0f} s: {summary}", flush=True)


def dataset_make(min_faces: int, per_identity: int):
    from training_throughput import QuietProgress

    from pipeline.datasets import DatasetRules, dataset_build, dataset_create

    rules = DatasetRules.with_defaults(
        min_faces=min_faces, per_identity=per_identity, split="70/20/10", seed=0
    )
    dataset = dataset_build(dataset=dataset_create(rules=rules, name="celeba"), progress=QuietProgress())
    counts = {split: dataset.items.filter(split=split).count() for split in ("train", "validation", "test")}
    print(f"{dataset}: {dataset.identity_count} identities, faces per split {counts}", flush=True)
    return dataset


def model_train_evaluate(dataset, config) -> tuple:
    """Train and evaluate one model through the TRAIN job's service; the row and seconds taken."""
    from pipeline.services import job_run_inline, job_target_key
    from recognition.services.training import model_version_create

    model_version = model_version_create(dataset=dataset, config=config, actor=None, name=config.architecture)
    started = time.perf_counter()
    job_run_inline(
        kind="train",
        parameters={"model_version_id": model_version.pk},
        label=str(model_version),
        target_key=job_target_key(model_version),
        on_line=lambda line: print("  " + line),
    )
    model_version.refresh_from_db()
    return model_version, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--detector", default="haar", help="haar (fast) or mtcnn (slower, better crops)")
    parser.add_argument("--min-faces", type=int, default=10)
    parser.add_argument("--per-identity", type=int, default=20)
    parser.add_argument("--cnn-epochs", type=int, default=15)
    parser.add_argument("--cnn-input-size", type=int, default=64)
    parser.add_argument(
        "--cnn-per-identity", type=int, default=60, help="augmented images per identity per epoch"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="facesite-celeba-bench-") as work_dir:
        django_setup(Path(work_dir))
        from pipeline.augmentation import AugmentationConfig
        from recognition.architectures.config import TrainingConfig

        print(f"{os.cpu_count()} CPUs", flush=True)
        celeba_import(arguments.data_dir / "celeba_subset" / "images", arguments.detector)
        dataset = dataset_make(arguments.min_faces, arguments.per_identity)
        augmentation = {**AugmentationConfig().to_json(), "target_per_identity": arguments.cnn_per_identity}
        configs = [
            TrainingConfig(architecture="facenet_head", epochs=200, patience=10, target_accuracy=1.0),
            TrainingConfig(
                architecture="small_cnn",
                input_size=arguments.cnn_input_size,
                epochs=arguments.cnn_epochs,
                augmentation=augmentation,
            ),
        ]
        results = []
        for config in configs:
            print(f"Training {config.architecture}", flush=True)
            results.append(model_train_evaluate(dataset, config))
        baseline = results[0][0].metrics["baseline_nearest_centroid"]
        test_faces = results[0][0].metrics["test_faces"]
        print(f"\nTest split: {test_faces} faces of {dataset.identity_count} identities")
        print(f"{'model':34s} {'top-1':>6s} {'top-5':>6s} {'epochs':>6s} {'seconds':>8s}")
        baseline_label = "nearest centroid (FaceNet)"
        print(f"{baseline_label:34s} {baseline['top1']:6.3f} {baseline['top5']:6.3f} {'-':>6s} {'-':>8s}")
        for model_version, seconds in results:
            metrics = model_version.metrics
            seen = (
                f"{model_version.config['input_size']} px"
                if model_version.adapter.sees_pixels
                else "FaceNet embeddings"
            )
            label = f"{model_version.architecture} ({seen})"
            print(
                f"{label:34s} {metrics['top1']:6.3f} {metrics['top5']:6.3f} "
                f"{len(model_version.history):6d} {seconds:8.0f}"
            )
            unknown = metrics["unknown"]
            rate = "—" if unknown["rejection_rate"] is None else f"{unknown['rejection_rate']:.3f}"
            print(f"  unknown threshold {unknown['threshold']}; left-out identities' faces rejected: {rate}")
            print(f"  ({unknown['note']})")


if __name__ == "__main__":
    main()
