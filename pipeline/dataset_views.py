"""The dataset pages: versions, building one, a version's manifest, export, delete, augmentation preview."""

import base64
import io
import tempfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from facesite.errors import FacesiteError
from facesite.responses import stored_file_response
from facesite.roles import role_required
from pipeline import datasets
from pipeline.dataset_forms import AugmentationForm, DatasetBuildForm
from pipeline.models import DatasetItem, DatasetVersion

MANAGE = "identities.manage_identities"
DATASETS_PER_PAGE = 30
IDENTITIES_PER_PAGE = 50
SAMPLE_SIZE = 24
LEFT_OUT_SHOWN = 200
PREVIEW_SAMPLES = 12
# Training faces offered as other faces to preview.
PREVIEW_CHOICES = 12


@role_required(MANAGE)
def dataset_list(request):
    versions = DatasetVersion.objects.select_related("job", "created_by", "previous")
    page = Paginator(versions, DATASETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "pipeline/datasets/dataset_list.html", {"page": page})


@role_required(MANAGE)
def dataset_new(request):
    form = DatasetBuildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dataset, _ = datasets.dataset_build_start(
            rules=form.cleaned_data["rules"], name=form.cleaned_data["name"], actor=request.user
        )
        messages.success(request, f"Building {dataset}; this page shows it when it is ready.")
        return redirect("dataset_detail", dataset.pk)
    return render(request, "pipeline/datasets/dataset_form.html", {"form": form})


@role_required(MANAGE)
def dataset_detail(request, pk: int):
    dataset = get_object_or_404(DatasetVersion.objects.select_related("job", "previous", "created_by"), pk=pk)
    summary = dataset.summary or {}
    left_out = summary.get("left_out", [])
    identities = Paginator(summary.get("identities", []), IDENTITIES_PER_PAGE)
    building = dataset.status == DatasetVersion.Status.BUILDING
    context = {
        "dataset": dataset,
        # Building, but its job ended (failed, stopped, or Redis was down): retrying the job builds it.
        "build_active": building and dataset.job is not None and dataset.job.is_active,
        "splits": summary.get("splits", {}),
        "page": identities.get_page(request.GET.get("page")),
        "samples": dataset.items.order_by("?")[:SAMPLE_SIZE],
        "left_out": left_out[:LEFT_OUT_SHOWN],
        "left_out_hidden": max(0, len(left_out) - LEFT_OUT_SHOWN),
        "diff": summary.get("diff"),
    }
    return render(request, "pipeline/datasets/dataset_detail.html", context)


@role_required(MANAGE)
def dataset_delete(request, pk: int):
    dataset = get_object_or_404(DatasetVersion, pk=pk)
    if request.method == "POST":
        try:
            datasets.dataset_delete(dataset=dataset, actor=request.user)
        except FacesiteError as error:
            messages.error(request, str(error))
            return redirect("dataset_detail", dataset.pk)
        messages.success(request, f"Deleted {dataset}.")
        return redirect("dataset_list")
    return render(request, "pipeline/datasets/dataset_delete.html", {"dataset": dataset})


@role_required(MANAGE)
def dataset_download(request, pk: int):
    """The export as a zip, written to a temporary file first so memory stays small."""
    dataset = get_object_or_404(DatasetVersion, pk=pk)
    # Not a with block: FileResponse closes (and so deletes) the file once it is sent.
    archive = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115
    try:
        datasets.dataset_export_zip(dataset=dataset, destination=archive)
    except FacesiteError as error:
        archive.close()
        messages.error(request, str(error))
        return redirect("dataset_detail", dataset.pk)
    archive.seek(0)
    return FileResponse(archive, as_attachment=True, filename=f"dataset-{dataset.pk}.zip")


@cache_control(private=True, max_age=86400, immutable=True)
@role_required(MANAGE)
def dataset_item_image(request, pk: int, item_pk: int):
    """A manifest item's crop; it stays after its face is deleted, so the face URL cannot serve it."""
    return stored_file_response(get_object_or_404(DatasetItem, pk=item_pk, dataset_id=pk).file)


@role_required(MANAGE)
def augment_preview(request, pk: int):
    """A grid of augmented samples of one training face, made by the layers training uses."""
    dataset = get_object_or_404(DatasetVersion, pk=pk)
    training = dataset.items.filter(split=DatasetItem.Split.TRAIN).order_by("label", "pk")
    face_id = request.GET.get("face", "")
    item = (training.filter(face_id=face_id).first() if face_id.isdigit() else None) or training.first()
    form = AugmentationForm(request.GET)
    context = {"dataset": dataset, "form": form, "item": item, "choices": training[:PREVIEW_CHOICES]}
    if item is not None and (not form.is_bound or form.is_valid()):
        config = form.config()
        context["config"], context["config_values"] = config, config.to_json().items()
        try:
            context["samples"] = _augmented_samples(item, config)
        except FacesiteError as error:
            context["error"] = str(error)
    return render(request, "pipeline/datasets/augment_preview.html", context)


def _augmented_samples(item: DatasetItem, config) -> list[str]:
    """PNG data URIs of PREVIEW_SAMPLES augmented versions of the item's crop."""
    import numpy as np

    from identities.images import stored_image_rgb
    from pipeline.augmentation import augmentation_layers

    try:
        image = stored_image_rgb(item.file)
    except OSError:
        raise FacesiteError("This face's crop file cannot be read.") from None
    batch = np.repeat(np.asarray(image, dtype="float32")[None], PREVIEW_SAMPLES, axis=0)
    augmented = np.asarray(augmentation_layers(config)(batch, training=True))
    return [_png_data_uri(pixels) for pixels in augmented.clip(0, 255).astype("uint8")]


def _png_data_uri(pixels) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@require_POST
@role_required(MANAGE)
def dataset_rebuild(request, pk: int):
    """Build a new version with the same rules as this one (a version itself never changes)."""
    dataset = get_object_or_404(DatasetVersion, pk=pk)
    try:
        rules = datasets.DatasetRules.with_defaults(**{**dataset.config, "seed": dataset.seed})
    except FacesiteError as error:
        messages.error(request, str(error))
        return redirect("dataset_detail", dataset.pk)
    new_dataset, _ = datasets.dataset_build_start(rules=rules, name=dataset.name, actor=request.user)
    messages.success(request, f"Building {new_dataset} with the rules of {dataset}.")
    return redirect("dataset_detail", new_dataset.pk)


@require_POST
@role_required(MANAGE)
def augment_start(request, pk: int):
    """Queue writing augmented training images to storage with the settings previewed."""
    from pipeline.augmentation import augment_start as augment_job_start

    dataset = get_object_or_404(DatasetVersion, pk=pk)
    form = AugmentationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "These augmentation settings are not valid; check them in the preview.")
        return redirect("augment_preview", dataset.pk)
    try:
        job_run, started = augment_job_start(dataset=dataset, config=form.config(), actor=request.user)
    except FacesiteError as error:
        messages.error(request, str(error))
        return redirect("dataset_detail", dataset.pk)
    if started:
        messages.success(request, f"Queued {job_run}.")
    else:
        messages.info(request, f"{job_run} is already queued or running for this dataset.")
    return redirect(job_run)
