import io

import pytest
from django.core.management import CommandError, call_command

from recognition.models import ModelVersion
from tests.training.builders import make_tiny_dataset

pytestmark = pytest.mark.django_db(transaction=True)


def test_train_then_evaluate_from_the_command_line():
    dataset = make_tiny_dataset()
    output = io.StringIO()
    call_command(
        "train",
        "--dataset", str(dataset.pk), "--architecture", "small_cnn", "--epochs", "2",
        "--input-size", "32", "--batch-size", "8", "--per-identity", "16", "--name", "cli",
        stdout=output,
    )  # fmt: skip
    model_version = ModelVersion.objects.get(name="cli")
    assert model_version.status == ModelVersion.Status.READY
    assert "epoch 1, loss" in output.getvalue() and "epoch 2, loss" in output.getvalue()
    assert model_version.job.status == "finished"

    output = io.StringIO()
    call_command("evaluate", str(model_version.pk), stdout=output)
    assert f"Top-1 accuracy: {model_version.metrics['top1']:.4f}" in output.getvalue()
    assert "Unknown faces rejected: —, not measured" in output.getvalue()


def test_train_refuses_a_missing_dataset():
    with pytest.raises(CommandError, match="no dataset version 999"):
        call_command("train", "--dataset", "999")
