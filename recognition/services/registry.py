"""The model registry: which model is active, and deleting models with their files."""

import shutil
from functools import partial

from django.db import IntegrityError, transaction

from facesite.errors import FacesiteError
from identities.models import AuditEvent
from pipeline.models import JobRun
from recognition.embedders.model import model_embedder_name, model_forget
from recognition.gallery.sync import gallery_model_activated
from recognition.models import FaceEmbedding, ModelVersion


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
