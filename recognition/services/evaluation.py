"""Evaluation: honest figures for a trained model, on faces it never trained on.

Accuracy and the confusions come from the dataset's test split, which was split off per
identity before any balancing or augmentation. The "unknown" threshold is calibrated on
the validation split (gallery.thresholds.model_unknown_threshold) and checked on
approved faces of identities left out of the dataset. Figures are Matplotlib PNGs in the
model's artifact folder.
"""

import numpy as np
from django.utils import timezone

from facesite.errors import FacesiteError
from facesite.files import atomic_path
from identities.models import Face
from pipeline.jobs import JobProgress
from pipeline.models import DatasetItem, JobRun
from pipeline.services import job_start_for
from recognition.gallery.thresholds import UNKNOWN_RULE, model_unknown_threshold
from recognition.ml.figures import confusion_figure, curves_figure
from recognition.ml.networks import model_file_load
from recognition.ml.scores import topk_accuracy
from recognition.models import ModelVersion

CONFUSED_PAIRS = 10


EXAMPLES_PER_PAIR = 3


# Faces of identities outside the model used to measure the rejection rate, at most.
OUTSIDE_FACES_MAX = 500


# Up to this many classes the confusion figure is the whole matrix; above, the top pairs.
CONFUSION_MATRIX_MAX_CLASSES = 30


TOP_K = 5


FIGURES = ("training_curves.png", "confusion.png")


def model_version_reevaluate(*, model_version: ModelVersion, progress: JobProgress) -> dict:
    """The evaluate job: measure a trained model again (e.g. after new left-out faces were approved)."""
    metrics = model_evaluate(model_version=model_version, progress=progress)
    if model_version.status == ModelVersion.Status.FAILED:
        # Training had finished and written model.keras; only its evaluation failed.
        model_version.status = ModelVersion.Status.READY
        model_version.trained_at = model_version.trained_at or timezone.now()
        model_version.save(update_fields=["status", "trained_at"])
    return {name: metrics[name] for name in ("top1", "top5", "unknown_rejection_rate")}


def evaluate_start(*, model_version: ModelVersion, actor) -> JobRun:
    """Queue an evaluate job for a model whose training has ended."""
    if not model_version.model_path().exists():
        raise FacesiteError(f"{model_version} has no trained model file to evaluate.")
    job_run, _ = job_start_for(
        model_version, kind="evaluate", parameters={"model_version_id": model_version.pk}, actor=actor
    )
    return job_run


def model_evaluate(*, model_version: ModelVersion, progress: JobProgress | None = None) -> dict:
    """Measure the model on the test split, calibrate "unknown", draw the figures, save all.

    1. Score the validation split; the threshold keeps UNKNOWN_KEEP of its faces.
    2. Score the test split: top-1, top-5, per-identity precision and recall, confused pairs.
    3. Score approved faces of identities outside the dataset: how many the threshold rejects.
    4. Add what the architecture measures besides (a FaceNet head: the nearest-centroid
       baseline on the same embeddings).
    5. Save the metrics and threshold on the row and the figures in the artifact folder.
    """
    if not model_version.model_path().exists():
        raise FacesiteError(f"{model_version} has no trained model file to evaluate.")
    _step(progress, f"Evaluating {model_version} on the test split")
    adapter = model_version.adapter
    model = model_file_load(model_version.model_path())
    validation_scores, _ = adapter.split_scores("validation", model=model)
    threshold = model_unknown_threshold(validation_scores)
    test_scores, test_labels = adapter.split_scores("test", model=model)
    if not len(test_labels):
        raise FacesiteError(f"{model_version.dataset} has no test faces to evaluate on.")
    metrics = test_metrics(model_version, test_scores, test_labels)
    _step(progress, "Measuring the unknown threshold on faces of identities outside the model")
    metrics["unknown"] = unknown_report(model_version, model, threshold, test_scores)
    metrics["unknown_rejection_rate"] = metrics["unknown"]["rejection_rate"]
    metrics.update(adapter.extra_metrics())
    metrics["figures"] = figures_save(model_version, metrics)
    metrics["evaluated_at"] = timezone.now().isoformat()
    model_version.metrics = metrics
    model_version.unknown_threshold = threshold
    model_version.save(update_fields=["metrics", "unknown_threshold"])
    _step(progress, f"Test top-1 {metrics['top1']:.3f}, top-5 {metrics['top5']:.3f}")
    return metrics


def _step(progress: JobProgress | None, text: str) -> None:
    if progress is not None:
        progress.step(text)


def test_metrics(model_version: ModelVersion, scores: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1/top-5, per-identity precision and recall, and the most-confused pairs."""
    classes = model_version.classes
    predicted = scores.argmax(axis=1)
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    return {
        "test_faces": len(labels),
        "top1": round(topk_accuracy(scores, labels, 1), 4),
        "top5": round(topk_accuracy(scores, labels, min(TOP_K, len(classes))), 4),
        "per_identity": per_identity_rows(classes, confusion),
        "confused_pairs": confused_pairs(model_version, confusion, labels, predicted),
        "confusion": confusion.tolist() if len(classes) <= CONFUSION_MATRIX_MAX_CLASSES else None,
    }


def per_identity_rows(classes: list[dict], confusion: np.ndarray) -> list[dict]:
    """Precision (of the faces called X, how many were X) and recall (of X's faces, how many were found)."""
    rows = []
    for label, identity in enumerate(classes):
        correct = int(confusion[label, label])
        called, actual = int(confusion[:, label].sum()), int(confusion[label].sum())
        rows.append(
            {
                "label": label,
                "identity_id": identity["identity_id"],
                "name": identity["name"],
                "test_faces": actual,
                "precision": round(correct / called, 4) if called else None,
                "recall": round(correct / actual, 4) if actual else None,
            }
        )
    return rows


def confused_pairs(model_version: ModelVersion, confusion, labels, predicted) -> list[dict]:
    """The most frequent (true, predicted) mistakes, with a few test faces of each."""
    face_ids = _test_face_ids(model_version)
    mistakes = confusion.copy()
    np.fill_diagonal(mistakes, 0)
    order = np.argsort(-mistakes, axis=None)[:CONFUSED_PAIRS]
    pairs = []
    for true_label, predicted_label in zip(*np.unravel_index(order, mistakes.shape), strict=True):
        count = int(mistakes[true_label, predicted_label])
        if not count:
            break
        where = np.flatnonzero((labels == true_label) & (predicted == predicted_label))[:EXAMPLES_PER_PAIR]
        pairs.append(
            {
                "true": model_version.classes[true_label]["name"],
                "predicted": model_version.classes[predicted_label]["name"],
                "count": count,
                "face_ids": [face_ids[index] for index in where if face_ids[index] is not None],
            }
        )
    return pairs


def _test_face_ids(model_version: ModelVersion) -> list[int | None]:
    """Face ids of the test items, in dataset_split_items' order (label, then pk)."""
    items = DatasetItem.objects.filter(dataset=model_version.dataset, split=DatasetItem.Split.TEST)
    return list(items.order_by("label", "pk").values_list("face_id", flat=True))


def outside_faces(model_version: ModelVersion) -> list[str]:
    """Crops of approved faces whose identity is not one of the model's classes."""
    known = [identity["identity_id"] for identity in model_version.classes if identity["identity_id"]]
    faces = Face.objects.filter(status=Face.Status.APPROVED).exclude(identity_id__in=known)
    return list(faces.order_by("pk").values_list("file", flat=True)[:OUTSIDE_FACES_MAX])


def unknown_report(model_version: ModelVersion, model, threshold: float, test_scores: np.ndarray) -> dict:
    """The threshold, its rule, and how it treats test faces and faces of unknown people."""
    report = {
        "threshold": round(threshold, 4),
        "rule": UNKNOWN_RULE,
        "test_accepted_rate": round(float(np.mean(test_scores.max(axis=1) >= threshold)), 4),
        "outside_faces": 0,
        "rejection_rate": None,
        "note": "not measured: no held-out identities (no approved faces of identities outside the dataset)",
    }
    files = outside_faces(model_version)
    if files:
        scores = model_version.adapter.stranger_scores(files, model=model)
        report.update(
            outside_faces=len(files),
            rejection_rate=round(float(np.mean(scores.max(axis=1) < threshold)), 4),
            note=f"measured on {len(files)} approved faces of identities left out of the dataset",
        )
    return report


def figures_save(model_version: ModelVersion, metrics: dict) -> list[str]:
    """Training curves and a confusion summary as PNGs in the artifact folder; their names."""
    folder = model_version.artifact_path()
    _figure_write(curves_figure(model_version.history), folder / FIGURES[0])
    _figure_write(confusion_figure(model_version.classes, metrics), folder / FIGURES[1])
    return list(FIGURES)


def _figure_write(figure, path) -> None:
    with atomic_path(path) as partial:
        figure.savefig(partial, dpi=100, bbox_inches="tight")
