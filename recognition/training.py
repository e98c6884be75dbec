"""Training: a Keras classifier from a frozen dataset version, streamed from the stored crops.

The TRAIN job trains one ModelVersion and evaluates it on the untouched test split. Its
files live in MEDIA_ROOT/models/<id>/: config.json, classes.json, model.keras (written
under a temporary name and renamed only when training has ended), the Keras
BackupAndRestore state (so a killed job resumes from its last finished epoch when it is
retried) and the evaluation's figures. A version becomes READY only after all of that;
one that fails stays FAILED and can never be activated.

TensorFlow and Keras are imported inside the functions that need them: the web process
imports this module for TrainingConfig and train_start only.
"""

import contextlib
import json
import logging
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from facesite.errors import FacesiteError
from pipeline.augmentation import AugmentationConfig
from pipeline.datasets import dataset_classes, dataset_split_items
from pipeline.jobs import JobProgress
from pipeline.models import DatasetVersion, JobRun
from recognition.models import ModelVersion

logger = logging.getLogger(__name__)

ARCHITECTURES = tuple(ModelVersion.Architecture.values)
# InceptionV3's stem and reductions need at least 75 x 75 pixels.
INCEPTION_MIN_SIZE = 75
EMBEDDING_SIZE = 512
# facenet_head multiplies the unit-length embeddings by this before its softmax layer.
EMBEDDING_SCALE = 16.0
# Crops read at a time when embedding a split for facenet_head: bounded memory.
EMBED_CHUNK = 64


@dataclass
class TrainingConfig:
    """How a model is trained; saved with it as config.json and on its ModelVersion row."""

    # small_cnn trains on a CPU in minutes; inception_v3 is the original project's network
    # (GPU work: about 20 images/s on two CPU cores); facenet_head trains a softmax layer
    # on frozen pretrained FaceNet embeddings in seconds.
    architecture: str = "small_cnn"
    # Side of the square network input in pixels: the original's 96 (InceptionV3 needs >= 75).
    input_size: int = 96
    # An upper bound: the target accuracy or early stopping usually ends training sooner
    # (the original stopped after 52 epochs).
    epochs: int = 60
    # Images per gradient step.
    batch_size: int = 32
    # Adam's step size; Keras's default.
    learning_rate: float = 0.001
    # Stop as soon as validation accuracy reaches this: the original's 0.97.
    target_accuracy: float = 0.97
    # Epochs without a lower validation loss before training stops on a plateau.
    patience: int = 5
    # Seeds weight initialisation, shuffling and augmentation, so a run can be repeated.
    seed: int = 0
    # Random changes to training images (pipeline.augmentation.AugmentationConfig); its
    # target_per_identity sets the images per identity in one epoch. Not used by facenet_head.
    augmentation: dict = field(default_factory=lambda: AugmentationConfig().to_json())
    # "auto" uses mixed_float16 only when a GPU is present; "off" never; "on" always.
    mixed_precision: str = "auto"

    def __post_init__(self) -> None:
        # Saved configs list every augmentation setting, defaults included, so a later
        # change of a default does not change what an old model says it was trained with.
        with contextlib.suppress(TypeError, ValueError):
            self.augmentation = self.augmentation_config().to_json()

    def validate(self) -> None:
        """Raise FacesiteError for a config training cannot use."""
        if self.architecture not in ARCHITECTURES:
            raise FacesiteError(
                f"Unknown architecture {self.architecture!r}; one of {', '.join(ARCHITECTURES)}."
            )
        if self.architecture == "inception_v3" and self.input_size < INCEPTION_MIN_SIZE:
            raise FacesiteError(f"inception_v3 needs an input size of at least {INCEPTION_MIN_SIZE} pixels.")
        if not 16 <= self.input_size <= 512:
            raise FacesiteError("The input size must be between 16 and 512 pixels.")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise FacesiteError("Epochs, batch size and patience must be at least 1.")
        if not 0 < self.learning_rate < 1:
            raise FacesiteError("The learning rate must be between 0 and 1.")
        if not 0 <= self.target_accuracy <= 1:
            raise FacesiteError("The target accuracy must be between 0 and 1.")
        if self.mixed_precision not in ("auto", "on", "off"):
            raise FacesiteError("mixed_precision is one of auto, on, off.")
        try:
            self.augmentation_config().validate()
        except (TypeError, ValueError) as error:
            raise FacesiteError(f"Augmentation: {error}") from None

    def augmentation_config(self) -> AugmentationConfig:
        return AugmentationConfig.from_json(self.augmentation)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, values: dict) -> "TrainingConfig":
        """A config from saved values; names it does not know (from other versions) are ignored."""
        known = {config_field.name for config_field in fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})


# -- starting -------------------------------------------------------------------------


def train_start(*, dataset: DatasetVersion, config: TrainingConfig, actor, name: str = "") -> ModelVersion:
    """Create a queued ModelVersion and its TRAIN job (enqueued once the transaction commits)."""
    from pipeline.services import job_start

    model_version = model_version_create(dataset=dataset, config=config, actor=actor, name=name)
    with transaction.atomic():
        job_run, _ = job_start(
            kind="train",
            parameters={"model_version_id": model_version.pk},
            actor=actor,
            label=str(model_version),
            target_key=f"model:{model_version.pk}",
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
    if len(dataset_classes(dataset)) < 2:
        raise FacesiteError(f"{dataset} has fewer than two identities; a classifier needs at least two.")
    with transaction.atomic():
        model_version = ModelVersion.objects.create(
            name=name[:200],
            dataset=dataset,
            architecture=config.architecture,
            config=config.to_json(),
            created_by=actor if actor and actor.is_authenticated else None,
        )
        model_version.artifact_dir = f"models/{model_version.pk}"
        model_version.save(update_fields=["artifact_dir"])
    return model_version


# -- the job --------------------------------------------------------------------------


def train_job_run(*, job_run: JobRun, progress: JobProgress) -> dict:
    """The TRAIN job: train (or resume) one model version, then evaluate it.

    1. Mark the version TRAINING and write config.json and classes.json.
    2. Train, unless an earlier run of this version already wrote model.keras (it then
       failed during evaluation): a BackupAndRestore state left by a killed run makes
       Keras start at the epoch after its last finished one.
    3. Evaluate on the test split; only then is the version READY.
    Any failure marks the version FAILED and keeps the backup for the next run.
    """
    from recognition.evaluation import model_evaluate

    model_version = ModelVersion.objects.select_related("dataset").get(
        pk=job_run.parameters["model_version_id"]
    )
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
    _json_write(folder / "config.json", {"dataset_id": model_version.dataset_id, **config.to_json()})
    _json_write(folder / "classes.json", classes)
    model_version.classes = classes
    model_version.save(update_fields=["classes"])


def _json_write(path: Path, value) -> None:
    """Write through a temporary name, so a reader never sees half a file."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value, indent=2))
    os.replace(partial, path)


# -- training -------------------------------------------------------------------------


def model_train(*, model_version: ModelVersion, config: TrainingConfig, progress: JobProgress):
    """Fit the network, then write model.keras by renaming a finished temporary file.

    Returns the trained keras.Model.
    """
    import keras

    _tensorflow_quiet()
    keras.utils.set_random_seed(config.seed)
    num_classes = len(model_version.classes)
    train_data, validation_data, steps_per_epoch, images_per_step = training_data(
        model_version, config, progress
    )
    model = _model_build(config, num_classes)
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
    partial = model_version.artifact_path() / "model.partial.keras"
    model.save(partial)
    os.replace(partial, model_version.model_path())
    shutil.rmtree(model_version.artifact_path() / "backup", ignore_errors=True)
    return model


def _model_build(config: TrainingConfig, num_classes: int):
    """make_model under the config's precision policy, which is set back afterwards."""
    import keras

    if config.architecture == "facenet_head":
        return make_model("facenet_head", (EMBEDDING_SIZE,), num_classes)
    keras.mixed_precision.set_global_policy("mixed_float16" if _mixed_precision_use(config) else "float32")
    try:
        return make_model(config.architecture, (config.input_size, config.input_size, 3), num_classes)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _mixed_precision_use(config: TrainingConfig) -> bool:
    if config.mixed_precision != "auto":
        return config.mixed_precision == "on"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


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


# -- models ---------------------------------------------------------------------------


def make_model(architecture: str, input_shape: tuple, num_classes: int):
    """A Functional keras.Model that takes raw [0, 255] pixels (or embeddings) and gives softmax scores."""
    import keras

    builders = {"inception_v3": _inception_v3, "small_cnn": _small_cnn, "facenet_head": _facenet_head}
    inputs = keras.Input(shape=input_shape, name="image" if len(input_shape) == 3 else "embedding")
    features = builders[architecture](inputs)
    # float32 softmax: under mixed precision float16 probabilities underflow.
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        features
    )
    return keras.Model(inputs, outputs, name=architecture)


def _inception_v3(inputs):
    """Keras InceptionV3 without weights (no downloads), as the original, on [-1, 1] pixels."""
    import keras

    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(inputs)
    base = keras.applications.InceptionV3(weights=None, include_top=False, input_tensor=scaled, pooling="avg")
    return keras.layers.Dropout(0.4, name="dropout")(base.output)


def _small_cnn(inputs):
    """Four conv blocks (conv, batch norm, ReLU, pool), global average pooling, dropout."""
    from keras import layers

    features = layers.Rescaling(1 / 255, name="rescale")(inputs)
    for block, filters in enumerate((32, 64, 128, 256), start=1):
        features = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(features)
        features = layers.BatchNormalization(name=f"bn{block}")(features)
        features = layers.Activation("relu", name=f"relu{block}")(features)
        features = layers.MaxPooling2D(name=f"pool{block}")(features)
    features = layers.GlobalAveragePooling2D(name="pool")(features)
    return layers.Dropout(0.3, name="dropout")(features)


def _facenet_head(inputs):
    """The frozen 512-d FaceNet embedding, scaled, then dropout; the softmax layer is the whole model.

    The embeddings have unit length, so unscaled logits stay small and the softmax stays
    unsure for hundreds of epochs (mean top score 0.44 after 40 epochs on separable
    synthetic data, against 0.98 scaled); a fixed scale, as cosine-softmax heads use,
    makes its scores, and the unknown threshold drawn from them, meaningful quickly.
    """
    import keras

    scaled = keras.layers.Rescaling(EMBEDDING_SCALE, name="scale")(inputs)
    return keras.layers.Dropout(0.2, name="dropout")(scaled)


# -- data -----------------------------------------------------------------------------


def training_data(model_version: ModelVersion, config: TrainingConfig, progress: JobProgress):
    """(train dataset, validation dataset, steps per epoch, images per step) for fit()."""
    if config.architecture == "facenet_head":
        return _embedding_data(model_version, config, progress)
    dataset = model_version.dataset
    train_items = dataset_split_items(dataset, "train")
    validation_items = dataset_split_items(dataset, "validation")
    if not train_items or not validation_items:
        raise FacesiteError(f"{dataset} has no training or no validation faces.")
    per_identity = config.augmentation_config().target_per_identity
    steps = math.ceil(len(model_version.classes) * per_identity / config.batch_size)
    train = image_dataset(train_items, config, training=True)
    validation = image_dataset(validation_items, config, training=False)
    return train, validation, steps, config.batch_size


def image_dataset(items: list[tuple[str, int, int]], config: TrainingConfig, *, training: bool):
    """A tf.data pipeline of (image batch, label batch) read from storage as it goes.

    Only file names and labels are held in memory, so memory does not grow with the
    dataset. For training each item appears `repeats` times (the dataset's balancing),
    the list is reshuffled every pass and repeats forever; an epoch is `steps_per_epoch`
    batches, about target_per_identity images per identity. Augmentation runs on
    training batches only.
    """
    import tensorflow as tf

    names = [name for name, _, repeats in items for _ in range(repeats if training else 1)]
    labels = [label for _, label, repeats in items for _ in range(repeats if training else 1)]
    data = tf.data.Dataset.from_tensor_slices((_file_sources(names), np.array(labels, dtype=np.int32)))
    if training:
        data = data.shuffle(len(names), seed=config.seed, reshuffle_each_iteration=True).repeat()
    size = config.input_size
    data = data.map(
        lambda source, label: (_image_load(source, size), label), num_parallel_calls=tf.data.AUTOTUNE
    )
    data = data.batch(config.batch_size)
    if training:
        from pipeline.augmentation import augmentation_layers

        augment = augmentation_layers(config.augmentation_config(), seed=config.seed)
        data = data.map(
            lambda images, label: (augment(images, training=True), label), num_parallel_calls=tf.data.AUTOTUNE
        )
    return data.prefetch(tf.data.AUTOTUNE)


def _file_sources(names: list[str]) -> list[str]:
    """Local paths for the tf.data reader; FileSystemStorage (the default) has them."""
    try:
        return [default_storage.path(name) for name in names]
    except NotImplementedError:
        raise FacesiteError(
            "Training reads crops from local files; the configured storage has no local paths."
        ) from None


def _image_load(path, size: int):
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.image.resize(tf.cast(image, tf.float32), (size, size), antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0)


def chips_resize(chips: list[np.ndarray], size: int) -> np.ndarray:
    """uint8 RGB face chips of any size as one float32 (N, size, size, 3) batch in [0, 255]."""
    import tensorflow as tf

    resized = [
        tf.image.resize(tf.cast(_rgb(chip), tf.float32), (size, size), antialias=True).numpy()
        for chip in chips
    ]
    return np.clip(np.stack(resized), 0, 255).astype(np.float32)


def _rgb(chip: np.ndarray) -> np.ndarray:
    chip = np.asarray(chip)
    if chip.ndim == 2:
        return np.stack([chip] * 3, axis=-1)
    return chip[..., :3]


def _embedding_data(model_version: ModelVersion, config: TrainingConfig, progress: JobProgress):
    """facenet_head trains on each crop's FaceNet embedding, computed once and cached.

    Augmentation does not apply: the embedder is frozen and one pass over the balanced
    training items (with their repeats) is an epoch.
    """
    import tensorflow as tf

    train_vectors, train_labels = split_embeddings(model_version, "train", progress, with_repeats=True)
    validation_vectors, validation_labels = split_embeddings(model_version, "validation", progress)
    if not len(train_vectors) or not len(validation_vectors):
        raise FacesiteError(f"{model_version.dataset} has no training or no validation faces.")
    train = tf.data.Dataset.from_tensor_slices((train_vectors, train_labels))
    train = train.shuffle(len(train_vectors), seed=config.seed, reshuffle_each_iteration=True).repeat()
    train = train.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    validation = tf.data.Dataset.from_tensor_slices((validation_vectors, validation_labels)).batch(
        config.batch_size
    )
    steps = math.ceil(len(train_vectors) / config.batch_size)
    return train, validation, steps, config.batch_size


def split_embeddings(
    model_version: ModelVersion,
    split: str,
    progress: JobProgress | None = None,
    *,
    with_repeats: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 512) FaceNet embeddings and labels of one split, cached in the artifact folder."""
    items = dataset_split_items(model_version.dataset, split)
    cache = model_version.artifact_path() / f"embeddings-{split}.npz"
    if cache.exists():
        saved = np.load(cache)
        vectors, labels = saved["vectors"], saved["labels"]
    else:
        if progress:
            progress.step(f"Embedding {len(items)} {split} faces with FaceNet")
        vectors = crops_embed([name for name, _, _ in items], progress)
        labels = np.array([label for _, label, _ in items], dtype=np.int32)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(cache.stem + ".partial.npz")
        np.savez(partial, vectors=vectors, labels=labels)
        os.replace(partial, cache)
    if with_repeats:
        index = np.repeat(np.arange(len(items)), [repeats for _, _, repeats in items])
        return vectors[index], labels[index]
    return vectors, labels


def crops_embed(names: list[str], progress: JobProgress | None = None) -> np.ndarray:
    """FaceNet embeddings of stored crops, read a chunk at a time, each cut as the
    gallery cuts it (with its Face's box, where the face still exists)."""
    from identities.models import Face
    from recognition.embedding import facenet_embedder

    embedder = facenet_embedder()
    parts = [np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)]
    for start in range(0, len(names), EMBED_CHUNK):
        chunk = names[start : start + EMBED_CHUNK]
        faces = {face.file: face for face in Face.objects.filter(file__in=chunk)}
        crops = [crop_read(name) for name in chunk]
        parts.append(embedder.embed_crops(crops, [faces.get(name) for name in chunk]))
        if progress:
            progress.advance(start + len(chunk), len(names))
    return np.concatenate(parts)


def crop_read(name: str) -> np.ndarray:
    """A stored crop as a uint8 RGB array."""
    from identities.images import stored_image_rgb

    return np.asarray(stored_image_rgb(name))


def _tensorflow_quiet() -> None:
    from pipeline.detection import _tensorflow_quiet as quiet

    quiet()
