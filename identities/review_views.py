"""The review pages: the reviewer's queue, an admin's identity review, conflicts, history, stats."""

import json
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facesite.errors import FacesiteError
from facesite.roles import role_required
from identities import review_selectors, review_services, review_stats, selectors
from identities.forms import FaceOverrideForm, ReviewFilterForm
from identities.models import AuditEvent, Face, Identity, SourceImage

REVIEW = "identities.review_faces"
OVERRIDE = "identities.override_reviews"
MANAGE = "identities.manage_identities"
# Operations one request may carry; the page sends at most 50 at a time.
OPERATIONS_MAX = 200
CONFLICTS_PER_PAGE = 20
VOTES_PER_PAGE = 50
# The source filter's labels, shorter than the model's.
ORIGIN_LABELS = {
    SourceImage.Origin.FILE: "Imported files",
    SourceImage.Origin.URL: "Downloaded",
    SourceImage.Origin.UPLOAD: "Uploads",
}
CONFLICT_FILTERS = {"open": "Open", "settled": "Settled", "all": "All"}
STATS_PERIODS = {"1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days", "all": "All time"}


def _operations_read(request) -> list[dict]:
    """The decisions in a JSON body: {"operations": [{"face": 1, "action": "approved", "reason": ""}]}."""
    try:
        body = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise FacesiteError("The request body is not JSON.") from None
    operations = body.get("operations") if isinstance(body, dict) else None
    if not isinstance(operations, list) or len(operations) > OPERATIONS_MAX:
        raise FacesiteError(f"Send a list of at most {OPERATIONS_MAX} operations.")
    for operation in operations:
        valid = (
            isinstance(operation, dict)
            and isinstance(operation.get("face"), int)
            and isinstance(operation.get("action"), str)
            and isinstance(operation.get("reason", ""), str)
        )
        if not valid:
            raise FacesiteError("Each operation needs a face id, an action and, for a rejection, a reason.")
    return operations


def _operations_apply(request, apply) -> JsonResponse:
    """Apply each operation in order, each in its own transaction; answer with every outcome."""
    try:
        operations = _operations_read(request)
    except FacesiteError as error:
        return JsonResponse({"error": str(error)}, status=400)
    results = []
    for operation in operations:
        try:
            outcome = apply(operation)
        except FacesiteError as error:
            outcome = review_services.ReviewOutcome(operation["face"], saved=False, message=str(error))
        results.append(outcome.as_json())
    return JsonResponse({"results": results})


def _url_for_ids(name: str) -> Callable[[int], str]:
    """reverse() for many ids of one URL pattern: reversed once, each id put in by formatting.

    A batch shows dozens of crops, and a {% url %} tag per crop was a third of its render.
    """
    marker = "987654321"
    head, tail = reverse(name, args=[int(marker)]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


def _batch_render(request, context: dict):
    """The batch fragment: each face gets its image and source URLs, the strip its images."""
    face_url, source_url = _url_for_ids("face_image"), _url_for_ids("source_image_file")
    for face in context["faces"]:
        face.image_url, face.source_url = face_url(face.pk), source_url(face.source_image_id)
    context["reference_faces"] = [(pk, face_url(pk)) for pk in context.pop("reference_face_ids")]
    context["assist_bars"] = review_selectors.review_assist_attach(
        context["faces"], mode=review_services.assist_mode()
    )
    context["readiness"] = selectors.readiness_thresholds()
    return render(request, "identities/review/_batch.html", context)


def _queue_context(*, mode: str, heading: str, batch_url: str, submit_url: str) -> dict:
    return {
        "mode": mode,
        "heading": heading,
        "batch_url": batch_url,
        "submit_url": submit_url,
        "reject_reasons": review_services.REJECT_REASONS.items(),
    }


@role_required(REVIEW)
@require_GET
def review_queue(request):
    filter_form = ReviewFilterForm(request.GET)
    filters = filter_form.values()
    chosen = (
        Identity.objects.only("name").filter(pk=filters["identity_id"]).first()
        if filters["identity_id"]
        else None
    )
    # The batch requests carry the chosen identity by id, however the page was asked for it.
    batch_filters = {
        "identity": chosen.pk if chosen else "",
        "origin": filters["origin"],
        "detector": filters["detector"],
    }
    context = _queue_context(
        mode="vote",
        heading="Review",
        batch_url=reverse("review_batch"),
        submit_url=reverse("review_decisions"),
    )
    context.update(
        filters=filters,
        identity_name=chosen.name if chosen else request.GET.get("identity_name", ""),
        identity_error=" ".join(filter_form.errors.get("identity_name", [])),
        origins=ORIGIN_LABELS.items(),
        detectors=review_selectors.review_detectors(),
        filter_query=urlencode({key: value for key, value in batch_filters.items() if value}),
    )
    return render(request, "identities/review/queue.html", context)


@role_required(REVIEW)
@require_GET
def review_identity_search(request):
    """Identities for the queue's filter picker, as JSON: ids, names and pending counts only
    (no aliases or notes, which are admins'), of active identities with crops to review."""
    found = review_selectors.review_identity_search(request.GET.get("q", ""))
    results = [
        {"id": identity.pk, "name": identity.name, "pending_faces": identity.pending_count}
        for identity in found
    ]
    return JsonResponse({"results": results})


@role_required(REVIEW)
@require_http_methods(["GET", "POST"])
def review_batch(request):
    """Crops as an HTML fragment: GET shows those the reviewer holds, POST leases the next.

    The filters travel in the query string either way.
    """
    filters = ReviewFilterForm(request.GET).values()
    options = {
        "reviewer": request.user,
        "identity_id": filters["identity_id"],
        "origin": filters["origin"],
        "detector": filters["detector"],
        "exclude_face_ids": filters["exclude_face_ids"],
    }
    if request.method == "POST":
        batch = review_services.review_batch_claim(
            prefer_identity_id=filters["prefer_identity_id"], **options
        )
    else:
        batch = review_services.review_batch_held(**options)
    context = {
        "identity": batch.identity,
        "faces": batch.faces,
        "expires_at": batch.expires_at,
        "reference_face_ids": review_selectors.review_reference_face_ids(batch.identity)
        if batch.identity
        else [],
        "filtered": bool(filters["identity_id"] or filters["origin"] or filters["detector"]),
        "claimed": request.method == "POST",
    }
    return _batch_render(request, context)


@role_required(REVIEW)
@require_POST
def review_decisions(request):
    """Votes and undos from the reviewer's page, applied in the order they were made."""

    def apply(operation: dict) -> review_services.ReviewOutcome:
        if operation["action"] == "undo":
            return review_services.review_vote_undo(reviewer=request.user, face_id=operation["face"])
        return review_services.review_vote_record(
            reviewer=request.user,
            face_id=operation["face"],
            decision=operation["action"],
            reason=operation.get("reason", ""),
        )

    return _operations_apply(request, apply)


@role_required(OVERRIDE)
@require_GET
def identity_review(request, pk: int):
    """An admin's review of one identity: every pending crop with its votes; decisions are final."""
    identity = get_object_or_404(Identity, pk=pk)
    context = _queue_context(
        mode="override",
        heading=f"Review {identity.name}",
        batch_url=reverse("identity_review_batch", args=[identity.pk]),
        submit_url=reverse("review_overrides"),
    )
    context.update(identity=identity, filter_query="")
    return render(request, "identities/review/queue.html", context)


@role_required(OVERRIDE)
@require_GET
def identity_review_batch(request, pk: int):
    identity = get_object_or_404(Identity, pk=pk)
    filters = ReviewFilterForm(request.GET).values()
    faces = review_selectors.identity_review_batch(
        identity, after_id=filters["after_id"], exclude_face_ids=filters["exclude_face_ids"]
    )
    context = {
        "identity": identity,
        "faces": faces,
        "show_votes": True,
        "reference_face_ids": review_selectors.review_reference_face_ids(identity),
    }
    return _batch_render(request, context)


@role_required(OVERRIDE)
@require_POST
def review_overrides(request):
    """Overrides from an admin's identity review page. An override is final: no undo."""

    def apply(operation: dict) -> review_services.ReviewOutcome:
        if operation["action"] == "undo":
            message = "An override is final; open the face's history to decide it again."
            return review_services.ReviewOutcome(operation["face"], saved=False, message=message)
        return review_services.review_override(
            actor=request.user,
            face_id=operation["face"],
            decision=operation["action"],
            reason=operation.get("reason", ""),
        )

    return _operations_apply(request, apply)


@role_required(OVERRIDE)
@require_POST
def face_override(request, pk: int):
    """Settle one face from the conflicts page or its history page."""
    face = get_object_or_404(Face, pk=pk)
    form = FaceOverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
    else:
        try:
            decision = form.cleaned_data["decision"]
            # The form's reason menu always holds a value; only a rejection uses it.
            reason = form.cleaned_data["reason"] if decision == Face.Status.REJECTED else ""
            outcome = review_services.review_override(
                actor=request.user, face_id=face.pk, decision=decision, reason=reason
            )
        except FacesiteError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, outcome.message or f"Face {face.pk} is now {outcome.status}.")
    next_url = form.data.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(face)


@role_required(OVERRIDE)
def review_conflicts(request):
    show = request.GET.get("show")
    if show not in CONFLICT_FILTERS:
        show = "open"
    page = Paginator(review_selectors.review_conflicts(show), CONFLICTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "show": show,
        "filters": CONFLICT_FILTERS,
        "page": page,
        "faces": review_selectors.review_votes_attach(list(page)),
        "reasons": review_services.REJECT_REASONS.values(),
    }
    return render(request, "identities/review/conflicts.html", context)


@role_required(MANAGE, OVERRIDE)
def face_history(request, pk: int):
    face = get_object_or_404(Face.objects.select_related("identity", "source_image"), pk=pk)
    events = AuditEvent.objects.for_target(face).select_related("actor")
    context = {
        "face": review_selectors.review_votes_attach([face])[0],
        "events": selectors.audit_events_prepare(list(events)),
        "reasons": review_services.REJECT_REASONS.values(),
    }
    return render(request, "identities/review/face_history.html", context)


@role_required(REVIEW, OVERRIDE)
def reviewer_history(request, pk: int):
    """A reviewer's votes with each face's outcome: admins see anyone's, reviewers their own."""
    reviewer = get_object_or_404(get_user_model(), pk=pk)
    if reviewer.pk != request.user.pk and not request.user.has_perm(OVERRIDE):
        raise PermissionDenied("Only admins see other reviewers' history.")
    page = Paginator(review_selectors.reviewer_votes(reviewer), VOTES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "identities/review/reviewer_history.html", {"reviewer": reviewer, "page": page})


@role_required(MANAGE)
def reviewer_stats(request):
    period = request.GET.get("period")
    if period not in STATS_PERIODS:
        period = "30"
    since = None if period == "all" else timezone.now() - timedelta(days=int(period))
    context = {
        "period": period,
        "periods": STATS_PERIODS,
        "reviewers": review_stats.reviewer_stats(since=since),
        "days": review_stats.reviewer_stats_by_day(since=since),
        "overrides": review_stats.override_counts(since=since),
        "assist_bands": review_stats.assist_band_errors(since=since),
        "reasons": review_services.REJECT_REASONS.values(),
    }
    return render(request, "identities/review/stats.html", context)
