"""The model registry and prediction: which model is active, its top-5 answers, its layers.

Keras is imported inside the functions that need it. Each process loads a model's file
once (`model_keras`); model files never change after training, so the cache needs no
invalidation beyond a deleted model's entry.
"""

import shutil
import threading
from functools import partial

import numpy as np
from django.db import IntegrityError, transaction

from facesite.errors import FacesiteError
from identities.models import AuditEvent
from pipeline.datasets import dataset_split_items
from pipeline.models import JobRun
from recognition.matches import Match
from recognition.models import FaceEmbedding, ModelVersion

TOP_K = 5
# Conv layers offered for feature maps at most; the last conv layer is always among them.
IMAGE_LAYERS_MAX = 8
PREDICT_BATCH = 64

_models: dict[int, object] = {}
# Each model's sub-model that ends at the layer before its softmax (model_features).
_feature_models: dict[int, object] = {}
_models_lock = threading.Lock()


def active_model() -> ModelVersion | None:
    """The model recognition uses, if an admin activated one."""
    return ModelVersion.objects.filter(is_active=True, status=ModelVersion.Status.READY).first()


def model_version_activate(*, model_version: ModelVersion, actor) -> None:
    """Make a READY version the one recognition uses; the one active before stops being so."""
    try:
        with transaction.atomic():
            locked = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
            if locked.status != ModelVersion.Status.READY:
                raise FacesiteError(
                    f"{locked} is {locked.get_status_display().lower()}; only a ready model can be activated."
                )
            previous = ModelVersion.objects.filter(is_active=True).exclude(pk=locked.pk).first()
            if previous:
                ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
            ModelVersion.objects.filter(pk=locked.pk).update(is_active=True)
            before = {"active_model": previous.pk if previous else None}
            AuditEvent.record(
                actor=actor,
                action="model.activate",
                target=locked,
                before=before,
                after={"active_model": locked.pk},
            )
    except IntegrityError:
        # The one_active_model constraint: another admin activated a model at the same moment.
        raise FacesiteError(
            "Another model was activated at the same moment; look at the list and try again."
        ) from None
    model_version.is_active = True
    from recognition.gallery import gallery_model_activated

    gallery_model_activated(model_version)


def model_version_deactivate(*, model_version: ModelVersion, actor) -> None:
    """Stop using a model: recognition then answers from the gallery alone."""
    with transaction.atomic():
        if ModelVersion.objects.filter(pk=model_version.pk, is_active=True).update(is_active=False):
            AuditEvent.record(
                actor=actor,
                action="model.deactivate",
                target=model_version,
                before={"active_model": model_version.pk},
                after={"active_model": None},
            )
    model_version.is_active = False


def model_version_delete(*, model_version: ModelVersion, actor) -> None:
    """Delete a model and its files; never the active one, nor one whose job is still queued or running."""
    if model_version.is_active:
        raise FacesiteError(
            f"{model_version} is the active model; deactivate it or activate another one first."
        )
    if model_version.job_id and JobRun.objects.active().filter(pk=model_version.job_id).exists():
        raise FacesiteError(f"{model_version} is still being trained; stop its job first.")
    folder = model_version.artifact_path() if model_version.artifact_dir else None
    pk = model_version.pk
    with transaction.atomic():
        AuditEvent.record(
            actor=actor,
            action="model.delete",
            target=model_version,
            before={
                "architecture": model_version.architecture,
                "metrics_top1": model_version.metrics.get("top1"),
            },
        )
        FaceEmbedding.objects.filter(embedder=model_embedder_name(pk)).delete()
        model_version.delete()
        # Files go once the row is gone for good; a rolled-back delete keeps them.
        if folder is not None:
            transaction.on_commit(partial(shutil.rmtree, folder, ignore_errors=True))
    model_forget(pk)


def model_versions_reconcile() -> int:
    """Mark FAILED the queued or training versions whose job ended without saying so (killed)."""
    ended = JobRun.objects.exclude(status__in=JobRun.ACTIVE_STATUSES)
    busy = ModelVersion.objects.filter(status__in=[ModelVersion.Status.QUEUED, ModelVersion.Status.TRAINING])
    return busy.filter(job__in=ended).update(status=ModelVersion.Status.FAILED)


def model_load(model_version: ModelVersion):
    """Load model.keras (uncached): for facenet_head the softmax head that takes 512-d embeddings."""
    import keras

    from recognition.training import _tensorflow_quiet

    _tensorflow_quiet()
    return keras.models.load_model(model_version.model_path(), compile=False)


def model_keras(model_version: ModelVersion):
    """The keras.Model of a version, loaded once per process."""
    with _models_lock:
        if model_version.pk not in _models:
            _models[model_version.pk] = model_load(model_version)
        return _models[model_version.pk]


def model_forget(model_version_pk: int) -> None:
    """Drop a (deleted) model from this process's cache."""
    from recognition.model_embedding import model_centre_forget

    with _models_lock:
        _models.pop(model_version_pk, None)
        _feature_models.pop(model_version_pk, None)
    model_centre_forget(model_version_pk)


def model_embedder_name(model_version_pk: int) -> str:
    """What FaceEmbedding.embedder says for a model's gallery rows."""
    return f"model-{model_version_pk}"


def model_features(model_version: ModelVersion):
    """The model cut at the input of its softmax layer ("predictions"), built once per process."""
    import keras

    model = model_keras(model_version)
    with _models_lock:
        if model_version.pk not in _feature_models:
            features = model.get_layer("predictions").input
            _feature_models[model_version.pk] = keras.Model(model.input, features)
        return _feature_models[model_version.pk]


def model_scores(model_version: ModelVersion, chips: list[np.ndarray], *, model=None) -> np.ndarray:
    """(N, classes) softmax scores for uint8 RGB face chips of any size.

    For facenet_head the chips are embedded first; they should be cut as
    FaceNetEmbedder.chip() cuts them (160x160, the box plus 15% per side).
    """
    model = model or model_keras(model_version)
    if not chips:
        return np.zeros((0, len(model_version.classes)), dtype=np.float32)
    if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
        from recognition.embedding import facenet_embedder

        inputs = facenet_embedder().embed_chips(chips)
    else:
        from recognition.training import chips_resize

        inputs = chips_resize(chips, model_version.config["input_size"])
    return model_outputs(model, inputs)


def model_predict(model_version: ModelVersion, chips: list[np.ndarray]) -> list[list[Match]]:
    """The top 5 identities for each chip with softmax scores, best first.

    The caller decides "unknown": a best score below model_version.unknown_threshold
    (calibrated on the validation split) means the face is probably nobody the model knows.
    """
    return [top_matches(model_version.classes, row) for row in model_scores(model_version, chips)]


def top_matches(classes: list[dict], scores: np.ndarray, k: int = TOP_K) -> list[Match]:
    best = np.argsort(-scores)[:k]
    return [Match(classes[i]["identity_id"], classes[i]["name"], float(scores[i])) for i in best]


def model_image_layer_names(model_version: ModelVersion) -> list[str]:
    """Conv layers worth showing as feature maps, shallow to deep; the last one suits Grad-CAM.

    Empty for facenet_head, whose model sees embeddings rather than pixels.
    """
    if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
        return []
    import keras

    model = model_keras(model_version)
    names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if len(names) <= IMAGE_LAYERS_MAX:
        return names
    # Evenly spaced through the network, always ending with the last conv layer.
    picks = np.linspace(0, len(names) - 1, IMAGE_LAYERS_MAX).round().astype(int)
    return [names[index] for index in sorted(set(picks))]


# -- scoring stored crops, for evaluation ------------------------------------------------


def split_scores(model_version: ModelVersion, split: str, *, model=None) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels) for every face of one dataset split, read as training reads them."""
    model = model or model_keras(model_version)
    if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
        from recognition.training import split_embeddings

        vectors, labels = split_embeddings(model_version, split)
        return model_outputs(model, vectors), labels
    items = dataset_split_items(model_version.dataset, split)
    labels = np.array([label for _, label, _ in items], dtype=np.int32)
    return files_scores(model_version, [name for name, _, _ in items], model=model), labels


def files_scores(model_version: ModelVersion, names: list[str], *, model=None) -> np.ndarray:
    """(N, classes) scores for stored crops, streamed in batches."""
    from recognition.training import TrainingConfig, crops_embed, image_dataset

    model = model or model_keras(model_version)
    if not names:
        return np.zeros((0, len(model_version.classes)), dtype=np.float32)
    if model_version.architecture == ModelVersion.Architecture.FACENET_HEAD:
        return model_outputs(model, crops_embed(names))
    config = TrainingConfig.from_json({**model_version.config, "batch_size": PREDICT_BATCH})
    images = image_dataset([(name, 0, 1) for name in names], config, training=False)
    return np.asarray(model.predict(images.map(lambda image, label: image), verbose=0))


def model_outputs(model, inputs: np.ndarray) -> np.ndarray:
    """A Keras model's outputs for a batch of inputs, the way that is quick for its size."""
    if not len(inputs):
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    # predict() sets up a data pipeline on every call: about 100 ms on this CPU for the
    # one or two faces of an upload, against 4 ms for a single batch.
    if len(inputs) <= PREDICT_BATCH:
        return np.asarray(model.predict_on_batch(inputs))
    return np.asarray(model.predict(inputs, batch_size=PREDICT_BATCH, verbose=0))
