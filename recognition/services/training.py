"""Training: a Keras classifier from a frozen dataset version, streamed from the stored crops.

The train job trains one ModelVersion and evaluates it on the untouched test split. Its
files live in MEDIA_ROOT/models/<id>/: config.json, classes.json, model.keras (written
under a temporary name and renamed only when training has ended), the Keras
BackupAndRestore state (so a killed job resumes from its last finished epoch when it is
retried) and the evaluation's figures. A version becomes READY only after all of that;
one that fails stays FAILED and can never be activated. What differs between networks
(how each is built and fed) is its architecture's adapter (recognition.architectures).

Keras is imported inside the functions that need it: the web process imports this module
for train_start only.
"""

import json
import shutil
import time

from django.db import transaction
from django.utils import timezone

from facesite.errors import FacesiteError
from facesite.files import atomic_path
from facesite.tensorflow_runtime import tensorflow_quiet
from pipeline.datasets import dataset_classes
from pipeline.jobs import JobProgress
from pipeline.models import DatasetVersion, JobRun
from pipeline.services import job_start_for
from recognition.architectures.config import TrainingConfig
from recognition.models import ModelVersion
from recognition.services.evaluation import model_evaluate


def train_start(*, dataset: DatasetVersion, config: TrainingConfig, actor, name: str = "") -> ModelVersion:
    """Create a queued ModelVersion and its train job (enqueued once the transaction commits)."""
    model_version = model_version_create(dataset=dataset, config=config, actor=actor, name=name)
    with transaction.atomic():
        job_run, _ = job_start_for(
            model_version, kind="train", parameters={"model_version_id": model_version.pk}, actor=actor
        )
        model_version.job = job_run
        model_version.save(update_fields=["job"])
    return model_version


def model_version_create(
    *, dataset: DatasetVersion, config: TrainingConfig, actor, name: str = ""
) -> ModelVersion:
    """A queued ModelVersion row with its artifact folder name; nothing is trained yet."""
    config.validate()
    if dataset.status != DatasetVersion.Status.READY:
        raise FacesiteError(
            f"{dataset} is {dataset.get_status_display().lower()}; only a ready dataset can be trained on."
        )
    classes = dataset_classes(dataset)
    if len(classes) < 2:
        raise FacesiteError(f"{dataset} has fewer than two identities; a classifier needs at least two.")
    with transaction.atomic():
        model_version = ModelVersion.objects.create(
            name=name[:200],
            dataset=dataset,
            architecture=config.architecture,
            config=config.to_json(),
            # Known from the dataset: the page shows them while the job waits for a worker.
            classes=classes,
            created_by=actor if actor and actor.is_authenticated else None,
        )
        model_version.artifact_dir = f"models/{model_version.pk}"
        model_version.save(update_fields=["artifact_dir"])
    return model_version


def model_version_train(*, model_version: ModelVersion, job_run: JobRun, progress: JobProgress) -> dict:
    """The train job: train (or resume) one model version, then evaluate it.

    1. Mark the version TRAINING and write config.json and classes.json.
    2. Train, unless an earlier run of this version already wrote model.keras (it then
       failed during evaluation): a BackupAndRestore state left by a killed run makes
       Keras start at the epoch after its last finished one.
    3. Evaluate on the test split; only then is the version READY.
    Any failure marks the version FAILED and keeps the backup for the next run.
    """
    if model_version.status == ModelVersion.Status.READY:
        raise FacesiteError(f"{model_version} is already trained; start a new version to train again.")
    _status_set(model_version, ModelVersion.Status.TRAINING, job=job_run)
    try:
        config = TrainingConfig.from_json(model_version.config)
        artifact_files_write(model_version, config)
        if not model_version.model_path().exists():
            model_train(model_version=model_version, config=config, progress=progress)
        metrics = model_evaluate(model_version=model_version, progress=progress)
    except BaseException:
        _status_set(model_version, ModelVersion.Status.FAILED)
        raise
    model_version.status = ModelVersion.Status.READY
    model_version.trained_at = timezone.now()
    model_version.save(update_fields=["status", "trained_at"])
    return {"epochs": len(model_version.history), **_summary_counts(metrics)}


def _summary_counts(metrics: dict) -> dict:
    return {name: metrics[name] for name in ("top1", "top5", "unknown_rejection_rate") if name in metrics}


def _status_set(model_version: ModelVersion, status: str, job: JobRun | None = None) -> None:
    model_version.status = status
    update_fields = ["status"]
    if job is not None:
        model_version.job = job
        update_fields.append("job")
    model_version.save(update_fields=update_fields)


def artifact_files_write(model_version: ModelVersion, config: TrainingConfig) -> None:
    """config.json and classes.json next to the model; the classes also on the row."""
    classes = dataset_classes(model_version.dataset)
    folder = model_version.artifact_path()
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in (
        ("config.json", {"dataset_id": model_version.dataset_id, **config.to_json()}),
        ("classes.json", classes),
    ):
        with atomic_path(folder / name) as partial:
            partial.write_text(json.dumps(value, indent=2))
    model_version.classes = classes
    model_version.save(update_fields=["classes"])


def model_train(*, model_version: ModelVersion, config: TrainingConfig, progress: JobProgress):
    """Fit the network, then write model.keras by renaming a finished temporary file.

    Returns the trained keras.Model.
    """
    import keras

    tensorflow_quiet()
    keras.utils.set_random_seed(config.seed)
    adapter = model_version.adapter
    train_data, validation_data, steps_per_epoch, images_per_step = adapter.training_data(config, progress)
    model = adapter.build(config)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    progress.step(f"Training {model_version} for up to {config.epochs} epochs, {steps_per_epoch} steps each")
    model.fit(
        train_data,
        validation_data=validation_data,
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=training_callbacks(model_version, config, progress, images_per_step * steps_per_epoch),
        shuffle=False,  # tf.data shuffles; Keras would only warn that it cannot.
        verbose=0,
    )
    _early_stop_report(model_version, config, progress)
    with atomic_path(model_version.model_path()) as partial:
        model.save(partial)
    shutil.rmtree(model_version.artifact_path() / "backup", ignore_errors=True)
    return model


def _early_stop_report(model_version: ModelVersion, config: TrainingConfig, progress: JobProgress) -> None:
    """Say why training ended before its last epoch; the job's count then reads "5 / 5",
    not "5 / 30" as if it were unfinished."""
    trained = len(model_version.history)
    if not trained or trained >= config.epochs:
        return
    if model_version.history[-1].get("val_accuracy", 0.0) >= config.target_accuracy:
        reason = f"validation accuracy reached the target {config.target_accuracy}"
    else:
        reason = f"validation loss did not improve for {config.patience} epochs"
    progress.log(f"Stopped early after {trained} of at most {config.epochs} epochs: {reason}.")
    progress.advance(trained, trained)


def training_callbacks(
    model_version: ModelVersion, config: TrainingConfig, progress: JobProgress, epoch_images: int
):
    """Progress to the row and job page, the target-accuracy stop, early stopping, and backups."""
    import keras

    return [
        EpochReporter(
            model_version, progress, total_epochs=config.epochs, epoch_images=epoch_images
        ).callback(),
        target_accuracy_stop(config.target_accuracy),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, restore_best_weights=True
        ),
        # Saves weights, optimizer state and the epoch after each epoch; a new run of
        # the same version loads them and carries on from the next epoch.
        keras.callbacks.BackupAndRestore(
            str(model_version.artifact_path() / "backup"), delete_checkpoint=False
        ),
    ]


class EpochReporter:
    """Each finished epoch's figures go to ModelVersion.history and the job's progress.

    A plain object wrapped in a keras LambdaCallback, so importing this module does not
    import Keras.
    """

    def __init__(
        self, model_version: ModelVersion, progress: JobProgress, *, total_epochs: int, epoch_images: int
    ):
        self.model_version = model_version
        self.progress = progress
        self.total_epochs = total_epochs
        self.epoch_images = epoch_images
        self._epoch_started = time.monotonic()

    def callback(self):
        import keras

        return keras.callbacks.LambdaCallback(
            on_epoch_begin=self.epoch_begin, on_epoch_end=self.epoch_end, on_train_batch_end=self.batch_end
        )

    def epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch_started = time.monotonic()
        self.progress.describe(f"Epoch {epoch + 1} of at most {self.total_epochs}")

    def batch_end(self, batch: int, logs=None) -> None:
        # Writes at most every half second; raises JobStopped once the run is stopped.
        self.progress.write()

    def epoch_end(self, epoch: int, logs=None) -> None:
        seconds = time.monotonic() - self._epoch_started
        row = {"epoch": epoch + 1, **{name: round(float(value), 4) for name, value in (logs or {}).items()}}
        row.update(
            seconds=round(seconds, 1), images_per_second=round(self.epoch_images / max(seconds, 1e-6), 1)
        )
        # A resumed run starts at the epoch after the last backed-up one; rows a killed
        # run logged for later epochs (none, normally) are dropped.
        history = [earlier for earlier in self.model_version.history if earlier["epoch"] < row["epoch"]]
        self.model_version.history = [*history, row]
        self.model_version.save(update_fields=["history"])
        self.progress.log(epoch_line(row))
        self.progress.advance(epoch + 1, self.total_epochs)


def epoch_line(row: dict) -> str:
    """One epoch's figures as a line for the job log and the train command."""
    parts = [f"epoch {row['epoch']}"]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if name in row:
            parts.append(f"{name} {row[name]:.4f}")
    parts.append(f"{row['seconds']:.1f} s, {row['images_per_second']:.0f} images/s")
    return ", ".join(parts)


def target_accuracy_stop(target_accuracy: float):
    """A callback that ends training once validation accuracy reaches the target (the original's 0.97)."""
    import keras

    stop = keras.callbacks.LambdaCallback()

    def epoch_end(epoch: int, logs=None) -> None:
        if (logs or {}).get("val_accuracy", 0.0) >= target_accuracy:
            stop.model.stop_training = True

    stop.on_epoch_end = epoch_end
    return stop
