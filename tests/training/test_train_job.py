import json

import pytest

from recognition.models import ModelVersion
from recognition.services.training import train_start
from tests.training.builders import make_tiny_dataset, tiny_config
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


def test_training_job_writes_history_metrics_and_files(admin, rq_queues):
    dataset = make_tiny_dataset(outside=3)
    model_version = train_start(dataset=dataset, config=tiny_config(), actor=admin, name="tiny")
    burst_work("train")
    model_version.refresh_from_db()
    assert model_version.status == ModelVersion.Status.READY, model_version.job.error
    assert [row["epoch"] for row in model_version.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "images_per_second"} <= set(
        model_version.history[0]
    )
    assert model_version.metrics["test_faces"] == 6
    assert 0 <= model_version.metrics["top1"] <= model_version.metrics["top5"] == 1.0
    assert model_version.metrics["unknown"]["outside_faces"] == 3
    folder = model_version.artifact_path()
    assert json.loads((folder / "classes.json").read_text())[0]["name"] == "Person A"
    assert json.loads((folder / "config.json").read_text())["input_size"] == 32
    for name in ("model.keras", "training_curves.png", "confusion.png"):
        assert (folder / name).stat().st_size > 0
    assert not (folder / "backup").exists()
    assert model_version.job.status == "finished"
    assert not model_version.is_active
