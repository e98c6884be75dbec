"""A training job killed after its first epoch carries on from the second when resumed."""

import keras
import pytest
from django.urls import reverse

from pipeline.models import JobRun
from recognition.models import ModelVersion
from recognition.services import training
from recognition.services.training import train_start
from tests.training.builders import make_tiny_dataset, tiny_config
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(Exception):
    """Stands for the worker dying: nothing after the raise runs."""


def callbacks_with(monkeypatch, extra):
    original = training.training_callbacks
    monkeypatch.setattr(training, "training_callbacks", lambda *args: [*original(*args), extra])


def test_a_killed_run_resumes_from_its_last_epoch_and_never_goes_live(
    admin, admin_web, rq_queues, monkeypatch
):
    active = ModelVersion.objects.create(
        dataset=make_tiny_dataset(),
        architecture="small_cnn",
        status=ModelVersion.Status.READY,
        is_active=True,
    )
    # Tiny data now and then reaches 100% validation accuracy after an epoch, and the target
    # stop would end the resumed run early: this test is about resuming, so no target stop.
    monkeypatch.setattr(training, "target_accuracy_stop", lambda target: keras.callbacks.Callback())
    model_version = train_start(dataset=active.dataset, config=tiny_config(epochs=3), actor=admin)

    def kill_after_first_epoch(epoch, logs=None):
        if epoch == 0:
            raise Killed()

    callbacks_with(monkeypatch, keras.callbacks.LambdaCallback(on_epoch_end=kill_after_first_epoch))
    burst_work("train")
    model_version.refresh_from_db()
    assert model_version.status == ModelVersion.Status.FAILED
    assert model_version.job.status == JobRun.Status.FAILED
    assert [row["epoch"] for row in model_version.history] == [1]
    assert not model_version.model_path().exists()
    assert (model_version.artifact_path() / "backup").is_dir()
    assert admin_web.post(reverse("model_activate", args=[model_version.pk])).status_code == 302
    model_version.refresh_from_db()
    active.refresh_from_db()
    assert not model_version.is_active and active.is_active

    epochs_begun = []
    callbacks_with(
        monkeypatch,
        keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs_begun.append(epoch)),
    )
    first_epoch = model_version.history[0]
    admin_web.post(reverse("model_resume", args=[model_version.pk]))
    burst_work("train")
    model_version.refresh_from_db()
    assert model_version.status == ModelVersion.Status.READY, model_version.job.error
    assert epochs_begun == [1, 2]
    assert [row["epoch"] for row in model_version.history] == [1, 2, 3]
    assert model_version.history[0] == first_epoch
    assert model_version.job.retry_of.status == JobRun.Status.FAILED
    assert model_version.model_path().exists()
    assert not (model_version.artifact_path() / "backup").exists()
