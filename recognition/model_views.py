"""The model registry pages: list and compare, train, detail with live curves, activate, delete."""

import logging

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from redis.exceptions import RedisError

from facesite.errors import FacesiteError
from facesite.roles import role_required
from pipeline import services as job_services
from recognition.architectures.config import TrainingConfig
from recognition.model_forms import ModelTrainForm
from recognition.models import ModelVersion
from recognition.services import registry
from recognition.services.evaluation import FIGURES, evaluate_start
from recognition.services.training import train_start

logger = logging.getLogger(__name__)

MANAGE = "identities.manage_identities"
# Side-by-side comparison stays readable up to this many models.
COMPARE_MAX = 6


def _reconcile() -> None:
    """Versions whose job was killed show as failed, not as training forever."""
    try:
        job_services.jobs_reconcile()
    except RedisError as error:
        logger.warning("Could not reconcile jobs with RQ: %s", error)
    registry.model_versions_reconcile()


@role_required(MANAGE)
def model_list(request):
    _reconcile()
    model_versions = ModelVersion.objects.select_related("dataset", "job")
    ids = [int(value) for value in request.GET.getlist("id") if value.isdigit()][:COMPARE_MAX]
    compared = list(model_versions.filter(pk__in=ids)) if len(ids) >= 2 else []
    if request.GET.get("compare") and len(ids) < 2:
        messages.info(request, "Tick two or more models to compare them.")
    context = {
        "model_versions": model_versions,
        "compared": compared,
        "compare_rows": _compare_rows(compared),
    }
    return render(request, "recognition/models/model_list.html", context)


def _compare_rows(compared: list[ModelVersion]) -> list[tuple[str, list]]:
    """One row per property, one cell per model, for the side-by-side table."""
    if not compared:
        return []
    names = ["architecture", "input_size", "epochs", "batch_size", "learning_rate", "target_accuracy", "seed"]
    rows = [
        ("Dataset", [str(model.dataset) for model in compared]),
        ("Status", [model.get_status_display() for model in compared]),
        ("Test top-1", [_rounded(model.metrics.get("top1")) for model in compared]),
        ("Test top-5", [_rounded(model.metrics.get("top5")) for model in compared]),
        (
            "Unknown rejection rate",
            [_rounded(model.metrics.get("unknown_rejection_rate")) for model in compared],
        ),
        ("Unknown threshold", [_rounded(model.unknown_threshold) for model in compared]),
        ("Epochs trained", [len(model.history) for model in compared]),
        ("Classes", [len(model.classes) for model in compared]),
    ]
    rows += [
        (name.replace("_", " ").capitalize(), [model.config.get(name) for model in compared])
        for name in names
    ]
    return rows


def _rounded(value: float | None) -> float | None:
    # Three decimals, as the model pages show them: 0.508, not 0.5079751014709473.
    return None if value is None else round(value, 3)


@role_required(MANAGE)
def model_new(request):
    form = ModelTrainForm(request.POST or None, initial={"dataset": request.GET.get("dataset")})
    if request.method == "POST" and form.is_valid():
        try:
            model_version = train_start(
                dataset=form.cleaned_data["dataset"],
                config=form.config(),
                actor=request.user,
                name=form.cleaned_data["name"],
            )
        except FacesiteError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Queued {model_version} for training.")
            return redirect(model_version)
    return render(request, "recognition/models/model_new.html", {"form": form})


@role_required(MANAGE)
def model_detail(request, pk: int):
    _reconcile()
    model_version = get_object_or_404(
        ModelVersion.objects.select_related("dataset", "job", "created_by"), pk=pk
    )
    config = TrainingConfig.from_json(model_version.config)
    context = {
        "model_version": model_version,
        "config_rows": [(name, value) for name, value in config.to_json().items() if name != "augmentation"],
        "augmentation_rows": list(config.augmentation.items()),
        "figures": [name for name in model_version.metrics.get("figures", []) if name in FIGURES],
        "can_resume": model_version.status == ModelVersion.Status.FAILED
        and model_version.job is not None
        and model_version.job.can_retry,
    }
    return render(request, "recognition/models/model_detail.html", context)


@role_required(MANAGE)
def model_status(request, pk: int):
    """What the detail page polls while training: status, the epochs so far, the job's step."""
    model_version = get_object_or_404(ModelVersion.objects.select_related("job"), pk=pk)
    job = model_version.job
    return JsonResponse(
        {
            "status": model_version.status,
            "status_display": model_version.get_status_display(),
            "history": model_version.history,
            "step": job.current_step if job else "",
            "job_status": job.status if job else None,
            "job_status_display": job.get_status_display().lower() if job else "",
            "class_count": len(model_version.classes),
            "epochs_text": model_version.epochs_text,
            "error": job.error if job else "",
        }
    )


@role_required(MANAGE)
def model_figure(request, pk: int, name: str):
    model_version = get_object_or_404(ModelVersion, pk=pk)
    path = model_version.artifact_path() / name
    if name not in FIGURES or not path.is_file():
        raise Http404("No such figure.")
    return FileResponse(path.open("rb"), content_type="image/png")


@require_POST
@role_required(MANAGE)
def model_activate(request, pk: int):
    model_version = get_object_or_404(ModelVersion, pk=pk)
    if model_version.chance_warning and request.POST.get("confirmed") != "1":
        # A model no better than guessing is activated only once the admin has read why.
        return render(
            request, "recognition/models/model_activate_confirm.html", {"model_version": model_version}
        )
    try:
        registry.model_version_activate(model_version=model_version, actor=request.user)
    except FacesiteError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{model_version} is now the active model for recognition.")
    return redirect(model_version)


@require_POST
@role_required(MANAGE)
def model_deactivate(request, pk: int):
    model_version = get_object_or_404(ModelVersion, pk=pk)
    registry.model_version_deactivate(model_version=model_version, actor=request.user)
    messages.success(request, f"{model_version} is no longer active; recognition uses the gallery alone.")
    return redirect(model_version)


@role_required(MANAGE)
def model_delete(request, pk: int):
    """GET asks for confirmation; POST deletes the row and its files (never the active model)."""
    model_version = get_object_or_404(ModelVersion.objects.select_related("dataset"), pk=pk)
    if request.method == "POST":
        try:
            registry.model_version_delete(model_version=model_version, actor=request.user)
        except FacesiteError as error:
            messages.error(request, str(error))
            return redirect(model_version)
        messages.success(request, "Deleted the model and its files.")
        return redirect("model_list")
    return render(request, "recognition/models/model_delete.html", {"model_version": model_version})


@require_POST
@role_required(MANAGE)
def model_resume(request, pk: int):
    """Retry a failed training job: Keras's backup makes it carry on from its last finished epoch."""
    model_version = get_object_or_404(ModelVersion.objects.select_related("job"), pk=pk)
    if model_version.job is None:
        messages.error(request, "This model has no training job to resume.")
        return redirect(model_version)
    try:
        job_run, _ = job_services.job_retry(job_run=model_version.job, actor=request.user)
    except FacesiteError as error:
        messages.error(request, str(error))
        return redirect(model_version)
    ModelVersion.objects.filter(pk=pk).update(job=job_run, status=ModelVersion.Status.QUEUED)
    messages.success(request, f"Resuming training as {job_run}.")
    return redirect(model_version)


@require_POST
@role_required(MANAGE)
def model_reevaluate(request, pk: int):
    model_version = get_object_or_404(ModelVersion, pk=pk)
    try:
        job_run = evaluate_start(model_version=model_version, actor=request.user)
    except FacesiteError as error:
        messages.error(request, str(error))
        return redirect(model_version)
    messages.success(request, f"Queued {job_run}.")
    return redirect(job_run)
