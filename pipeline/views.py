"""The jobs pages (list, detail, live status, actions) and the pages that start jobs."""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from redis.exceptions import RedisError

from facesite.errors import FacesiteError
from facesite.roles import role_required
from identities.models import Identity
from pipeline import services
from pipeline.forms import ImportUploadForm, JobFilterForm, RecropForm, ScrapeForm
from pipeline.kinds import automatic_job_kinds
from pipeline.models import JobRun

logger = logging.getLogger(__name__)

MANAGE = "identities.manage_identities"
JOBS_PER_PAGE = 50
# The most runs one status request reports on: a page of the list.
STATUS_IDS_MAX = JOBS_PER_PAGE


def _reconcile() -> str:
    """Bring runs in line with RQ; a message for the page when Redis cannot be reached."""
    try:
        services.jobs_reconcile()
    except RedisError as error:
        logger.warning("Could not reconcile jobs with RQ: %s", error)
        return f"Redis cannot be reached ({error}): jobs are neither started nor checked until it is back."
    return ""


@role_required(MANAGE)
def job_list(request):
    redis_problem = _reconcile() or services.redis_eviction_warning()
    filters = JobFilterForm(request.GET).values()
    job_runs = JobRun.objects.select_related("started_by")
    if filters["kind"]:
        job_runs = job_runs.filter(kind=filters["kind"])
    if filters["status"]:
        job_runs = job_runs.filter(status=filters["status"])
    hidden = 0
    if not filters["kind"] and not filters["show_automatic"]:
        hidden = job_runs.filter(kind__in=automatic_job_kinds()).count()
        job_runs = job_runs.exclude(kind__in=automatic_job_kinds())
    page = Paginator(job_runs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filter_form": JobFilterForm(initial=filters),
        "redis_problem": redis_problem,
        "hidden_automatic": hidden,
    }
    return render(request, "pipeline/job_list.html", context)


@role_required(MANAGE)
def job_detail(request, pk: int):
    redis_problem = _reconcile()
    job_run = get_object_or_404(JobRun.objects.select_related("started_by", "retry_of"), pk=pk)
    context = {"job_run": job_run, "retries": job_run.retries.order_by("pk"), "redis_problem": redis_problem}
    return render(request, "pipeline/job_detail.html", context)


@role_required(MANAGE)
def job_status(request):
    """The state of the runs named by `id` parameters; with detail=1 also their log tail."""
    _reconcile()
    ids = [int(value) for value in request.GET.getlist("id") if value.isdigit()][:STATUS_IDS_MAX]
    detail = request.GET.get("detail") == "1"
    runs = []
    for job_run in JobRun.objects.filter(pk__in=ids):
        state = job_run.status_json()
        if detail:
            state["log_tail"] = job_run.log_tail
        runs.append(state)
    return JsonResponse({"jobs": runs})


def _back(request, job_run: JobRun):
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(job_run)


@require_POST
@role_required(MANAGE)
def job_cancel(request, pk: int):
    job_run = get_object_or_404(JobRun, pk=pk)
    if services.job_cancel(job_run=job_run, actor=request.user):
        messages.success(request, f"Cancelled {job_run}.")
    else:
        messages.error(request, f"{job_run} is no longer queued, so it cannot be cancelled.")
    return _back(request, job_run)


@require_POST
@role_required(MANAGE)
def job_stop(request, pk: int):
    job_run = get_object_or_404(JobRun, pk=pk)
    if services.job_stop(job_run=job_run, actor=request.user):
        messages.success(request, f"Stopped {job_run}. What it stored so far is kept.")
    else:
        messages.error(request, f"{job_run} is not running, so it cannot be stopped.")
    return _back(request, job_run)


@require_POST
@role_required(MANAGE)
def job_retry(request, pk: int):
    job_run = get_object_or_404(JobRun, pk=pk)
    try:
        new_run, started = services.job_retry(job_run=job_run, actor=request.user)
    except FacesiteError as error:
        messages.error(request, str(error))
        return _back(request, job_run)
    if started:
        messages.success(request, f"Retrying as {new_run}.")
    else:
        messages.info(request, f"{new_run} is already queued or running for the same target.")
    return _back(request, new_run)


@role_required(MANAGE)
def scrape_start(request):
    try:
        form = ScrapeForm(request.POST or None, initial={"identities": request.GET.getlist("identity")})
    except FacesiteError as error:
        return render(request, "pipeline/scrape_form.html", {"form": None, "error": str(error)})
    if request.method == "POST" and form.is_valid():
        identities = {identity.pk: identity for identity in form.cleaned_data["identities"]}
        for identity in services.identities_for_names(form.cleaned_data["names"], actor=request.user):
            identities.setdefault(identity.pk, identity)
        started = services.scrape_start(
            identities=list(identities.values()),
            per_identity=form.cleaned_data["per_identity"],
            provider=form.cleaned_data["provider"],
            query_suffix=form.cleaned_data["query_suffix"],
            detector=form.cleaned_data["detector"],
            actor=request.user,
        )
        _scrape_started_report(request, started)
        return redirect(f"{reverse('job_list')}?kind=scrape")
    return render(request, "pipeline/scrape_form.html", {"form": form})


def _scrape_started_report(request, started: list[tuple[JobRun, bool]]) -> None:
    new = sum(1 for _, created in started if created)
    running = [job_run.label for job_run, created in started if not created]
    if new:
        messages.success(request, f"Started {new} scrape job{'s' if new != 1 else ''}.")
    if running:
        messages.info(request, f"Already being scraped, so not started again: {', '.join(running)}.")


@role_required(MANAGE)
def recrop_start(request):
    # A link may preselect the identity by id (?identity=7); the picker field holds its name.
    identity_id = request.GET.get("identity", "")
    preselected = Identity.objects.active().filter(pk=identity_id).first() if identity_id.isdigit() else None
    form = RecropForm(request.POST or None, initial={"identity": preselected.name if preselected else ""})
    if request.method == "POST" and form.is_valid():
        job_run, started = services.recrop_start(
            identity=form.cleaned_data["identity"], detector=form.cleaned_data["detector"], actor=request.user
        )
        if started:
            messages.success(request, f"Queued {job_run}.")
        else:
            messages.info(request, f"{job_run} is already queued or running for this identity.")
        return redirect(job_run)
    return render(request, "pipeline/recrop_form.html", {"form": form})


@role_required(MANAGE)
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job_run = services.import_upload_start(
            upload=form.cleaned_data["archive"],
            detector=form.cleaned_data["detector"],
            approve=form.cleaned_data["approve"],
            actor=request.user,
        )
        messages.success(request, f"Queued {job_run}.")
        return redirect(job_run)
    return render(request, "pipeline/import_form.html", {"form": form})
