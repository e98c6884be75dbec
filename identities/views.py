from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from facesite.errors import FacesiteError
from facesite.responses import stored_file_response
from facesite.roles import role_required
from identities import panels, review_selectors, selectors, services
from identities.forms import (
    AuditFilterForm,
    FaceCurateForm,
    IdentityBulkForm,
    IdentityForm,
    IdentityListForm,
    IdentityMergeConfirmForm,
    IdentityMergeForm,
    NamesImportForm,
)
from identities.models import AuditEvent, Face, Identity, SourceImage
from identities.name_import import identity_names_import, identity_names_read

MANAGE = "identities.manage_identities"
# Rejecting an approved face outside the review queue is an override.
OVERRIDE = "identities.override_reviews"
IDENTITIES_PER_PAGE = 50
FACES_PER_PAGE = 60
EVENTS_PER_PAGE = 50
OVERVIEW_EVENTS = 15
# Numbers read best largest first; names read best A to Z.
_SORTS_DESCENDING_FIRST = {"approved", "pending", "rejected", "created"}


def _overview_events(user) -> list[AuditEvent] | None:
    """What the overview's activity card may show this user: what their pages already show.

    Admins read the whole audit log; reviewers their own votes and undos (their history
    page); anyone else nothing (None hides the card), since votes name who decided what.
    """
    if user.has_perm(MANAGE):
        events = selectors.audit_events()
    elif user.has_perm("identities.review_faces"):
        events = selectors.audit_events(actor_id=user.pk)
    else:
        return None
    return selectors.audit_events_prepare(list(events[:OVERVIEW_EVENTS]))


def overview(request):
    events = _overview_events(request.user)
    context = {
        "totals": selectors.overview_totals(),
        "ready_identities": selectors.identities_ready(),
        "events": events,
        "readiness": selectors.readiness_thresholds(),
        "has_role": request.user.groups.exists(),
    }
    return render(request, "identities/overview.html", context)


def _sort_headers(current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the sort its header link asks for, and the arrow it shows."""
    headers = {}
    for column in ("name", "approved", "pending", "rejected", "created"):
        if current == column:
            headers[column] = {"sort": f"-{column}", "arrow": "▲"}
        elif current == f"-{column}":
            headers[column] = {"sort": column, "arrow": "▼"}
        else:
            first = f"-{column}" if column in _SORTS_DESCENDING_FIRST else column
            headers[column] = {"sort": first, "arrow": ""}
    return headers


@role_required(MANAGE)
def identity_list(request):
    form = IdentityListForm(request.GET)
    filters = form.values()
    identities = selectors.identity_list(**filters)
    page = Paginator(identities, IDENTITIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "identities": selectors.identity_thumbnails_attach(list(page)),
        "sort_headers": _sort_headers(filters["sort"]),
        "readiness": selectors.readiness_thresholds(),
    }
    return render(request, "identities/identity_list.html", context)


@role_required(MANAGE)
def identity_detail(request, pk: int):
    identity = get_object_or_404(Identity, pk=pk)
    status = request.GET.get("status")
    if status not in Face.Status.values:
        # The approved faces are who this identity is; until there are some, what waits.
        status = Face.Status.APPROVED if identity.approved_count else Face.Status.PENDING
    faces = selectors.identity_faces(identity, status)
    failed_source_images = selectors.identity_failed_source_images(identity)
    events = AuditEvent.objects.for_target(identity).select_related("actor")[:10]
    context = {
        "identity": identity,
        "status": status,
        "tabs": [(value, label, getattr(identity, f"{value}_count")) for value, label in Face.Status.choices],
        "page": Paginator(faces, FACES_PER_PAGE).get_page(request.GET.get("page")),
        "failed_source_images": failed_source_images[:50],
        "failed_source_image_count": failed_source_images.count(),
        "events": selectors.audit_events_prepare(list(events)),
        "readiness": selectors.readiness_thresholds(),
        # Approved faces can be selected to move or reject them.
        "curate": status == Face.Status.APPROVED and identity.approved_count > 0,
        "reasons": Face.Reason.choices,
        "panels": panels.identity_panels(identity),
    }
    return render(request, "identities/identity_detail.html", context)


@role_required(MANAGE)
@require_http_methods(["GET", "POST"])
def identity_create(request):
    form = IdentityForm(request.POST if request.method == "POST" else None)
    context = {"form": form}
    if form.is_valid():
        try:
            identity = services.identity_create(actor=request.user, **form.cleaned_data)
        except services.IdentityNameTaken as error:
            form.add_error("name", str(error))
            context["name_taken"] = error.existing
        except FacesiteError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Created {identity.name}.")
            return redirect(identity)
    return render(request, "identities/identity_form.html", context)


@role_required(MANAGE)
@require_http_methods(["GET", "POST"])
def identity_edit(request, pk: int):
    identity = get_object_or_404(Identity, pk=pk)
    initial = {"name": identity.name, "aliases": identity.aliases, "notes": identity.notes}
    form = IdentityForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {"form": form, "identity": identity}
    if form.is_valid():
        try:
            changed = services.identity_update(identity=identity, actor=request.user, **form.cleaned_data)
        except services.IdentityNameTaken as error:
            form.add_error("name", f"{error.existing.name} already exists — merge into it?")
            context["name_taken"] = error.existing
        except FacesiteError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect(identity)
    return render(request, "identities/identity_form.html", context)


@role_required(MANAGE)
@require_POST
def identity_archive(request, pk: int):
    identity = get_object_or_404(Identity, pk=pk)
    services.identity_archive(identity=identity, actor=request.user)
    messages.success(request, f"Archived {identity.name}: hidden from the list and from new datasets.")
    return redirect(identity)


@role_required(MANAGE)
@require_POST
def identity_unarchive(request, pk: int):
    identity = get_object_or_404(Identity, pk=pk)
    services.identity_unarchive(identity=identity, actor=request.user)
    messages.success(request, f"Restored {identity.name} from the archive.")
    return redirect(identity)


@role_required(MANAGE)
@require_http_methods(["GET", "POST"])
def identity_delete(request, pk: int):
    identity = get_object_or_404(Identity, pk=pk)
    summary = selectors.identity_delete_summary(identity)
    if request.method == "POST":
        services.identity_delete(identity=identity, actor=request.user)
        messages.success(
            request,
            f"Deleted {identity.name} with {summary['source_images']} source images "
            f"and {summary['faces']} faces.",
        )
        return redirect("identity_list")
    return render(request, "identities/identity_delete.html", {"identity": identity, "summary": summary})


def _merge_target_find(form: IdentityMergeForm, source: Identity) -> Identity | None:
    """The identity named in the form, or None with the reason added to the form."""
    name = services.identity_name_normalize(form.cleaned_data["target"])
    target = Identity.objects.filter(name__iexact=name).first()
    if target is None:
        form.add_error("target", f"No identity is named {name!r}.")
    elif target.pk == source.pk:
        form.add_error("target", "That is this identity; choose the one to merge it into.")
        target = None
    return target


@role_required(MANAGE)
@require_http_methods(["GET", "POST"])
def identity_merge(request, pk: int):
    """Choose a target by name (GET), see what will move, then confirm (POST)."""
    source = get_object_or_404(Identity, pk=pk)
    if request.method == "POST":
        confirm_form = IdentityMergeConfirmForm(request.POST)
        if not confirm_form.is_valid():
            messages.error(request, "The identity to merge into no longer exists; choose another one.")
            return redirect("identity_merge", pk=source.pk)
        target = confirm_form.cleaned_data["target_id"]
        try:
            report = services.identity_merge(source=source, target=target, actor=request.user)
        except FacesiteError as error:
            messages.error(request, str(error))
            return redirect("identity_merge", pk=source.pk)
        messages.success(
            request,
            f"Merged {source.name} into {target.name}: {report.moved_faces} faces and "
            f"{report.moved_source_images} source images moved, "
            f"{report.duplicate_faces_dropped} duplicate faces dropped.",
        )
        return redirect(target)

    form = IdentityMergeForm(request.GET if "target" in request.GET else None)
    context = {"source": source, "form": form}
    if form.is_valid():
        typed_name = form.cleaned_data["target"]
        target = _merge_target_find(form, source)
        if target is not None:
            context["target"] = target
            context["summary"] = selectors.identity_merge_summary(source=source, target=target)
            return render(request, "identities/identity_merge_confirm.html", context)
        context["suggestions"] = selectors.identity_suggestions(typed_name, exclude=source)
    return render(request, "identities/identity_merge.html", context)


def _names_from_form(form: NamesImportForm) -> list[str] | None:
    """The pasted names followed by the file's, or None with the reason added to the form."""
    names = identity_names_read(form.cleaned_data["names"])
    names_file = form.cleaned_data["names_file"]
    if names_file is None:
        return names
    try:
        return names + identity_names_read(names_file.read().decode("utf-8"), filename=names_file.name)
    except UnicodeDecodeError:
        form.add_error("names_file", "The file is not UTF-8 text; save it as UTF-8 and try again.")
    except FacesiteError as error:
        form.add_error("names_file", str(error))
    return None


@role_required(MANAGE)
@require_http_methods(["GET", "POST"])
def identity_bulk_add(request):
    form = NamesImportForm(request.POST, request.FILES) if request.method == "POST" else NamesImportForm()
    context = {"form": form}
    if form.is_valid():
        names = _names_from_form(form)
        if names is not None:
            context["report"] = identity_names_import(names=names, actor=request.user)
            # A fresh form, so submitting again does not add the same names twice by accident.
            context["form"] = NamesImportForm()
    return render(request, "identities/identity_bulk_add.html", context)


@role_required(MANAGE)
def audit_log(request):
    form = AuditFilterForm(request.GET, actions=selectors.audit_actions(), actors=selectors.audit_actors())
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    actor = cleaned.get("actor")
    events = selectors.audit_events(action=cleaned.get("action") or "", actor_id=actor.pk if actor else None)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "events": selectors.audit_events_prepare(list(page))}
    return render(request, "identities/audit_log.html", context)


# Content-addressed files never change, so a browser may keep them, but only privately.
# Admins see every image; a reviewer what their review pages show.
@cache_control(private=True, max_age=86400, immutable=True)
@role_required(MANAGE, "identities.review_faces")
def face_image(request, pk: int):
    face = get_object_or_404(Face.objects.select_related("identity"), pk=pk)
    if not request.user.has_perm(MANAGE) and not review_selectors.review_face_visible(request.user, face):
        raise PermissionDenied("This crop is not in a batch of yours; fetch it from Review.")
    return stored_file_response(face.file)


@cache_control(private=True, max_age=86400, immutable=True)
@role_required(MANAGE, "identities.review_faces")
def source_image_file(request, pk: int):
    source_image = get_object_or_404(SourceImage, pk=pk)
    if not request.user.has_perm(MANAGE) and not review_selectors.review_source_visible(
        request.user, source_image
    ):
        raise PermissionDenied("This photo holds no crop of a batch of yours; fetch one from Review.")
    return stored_file_response(source_image.file)


@role_required(MANAGE)
def identity_search(request):
    """Identities for the picker, as JSON: names and aliases containing `q`, prefixes
    first, `limit` at most; archived ones only with `archived=1`."""
    try:
        limit = int(request.GET.get("limit", 10))
    except ValueError:
        limit = 10
    found = selectors.identity_search(
        request.GET.get("q", ""), include_archived=request.GET.get("archived") == "1", limit=limit
    )
    results = [
        {
            "id": identity.pk,
            "name": identity.name,
            "alias": identity.matched_alias,
            "archived": identity.archived,
            "approved_faces": identity.approved_count,
        }
        for identity in found
    ]
    return JsonResponse({"results": results})


def _identity_named(name: str) -> Identity | None:
    name = services.identity_name_normalize(name)
    return Identity.objects.filter(name__iexact=name).first() if name else None


def _safe_next(request, next_url: str, fallback):
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(fallback)


def _faces_curate(request, form: FaceCurateForm, identity: Identity) -> str:
    """Move or reject the selected faces; the message to show, or FacesiteError."""
    data = form.cleaned_data
    if data["action"] == "reject":
        if not request.user.has_perm(OVERRIDE):
            raise FacesiteError("Rejecting approved faces needs the admin role.")
        count = services.faces_reject(
            face_ids=data["face"],
            identity=identity,
            reason=data["reason"] or Face.Reason.WRONG_PERSON,
            actor=request.user,
        )
        return f"Rejected {count} face{'s' if count != 1 else ''} of {identity.name}."
    if not data["target"].strip():
        raise FacesiteError("Type the name of the identity to move the faces to.")
    target = _identity_named(data["target"])
    if target is None:
        raise FacesiteError(f"No identity is named {data['target'].strip()!r}; nothing was moved.")
    count = services.faces_move(face_ids=data["face"], source=identity, target=target, actor=request.user)
    return f"Moved {count} face{'s' if count != 1 else ''} from {identity.name} to {target.name}."


@role_required(MANAGE)
@require_POST
def identity_faces_curate(request, pk: int):
    """Move selected approved faces to another identity, or reject them (an audited
    override per face); back to the page they were selected on."""
    identity = get_object_or_404(Identity, pk=pk)
    form = FaceCurateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Move or Reject for the selected faces.")
    else:
        try:
            messages.success(request, _faces_curate(request, form, identity))
        except FacesiteError as error:
            messages.error(request, str(error))
    fallback = f"{identity.get_absolute_url()}?status={Face.Status.APPROVED}"
    return _safe_next(request, form.data.get("next", ""), fallback)


def _identities_merge(request, form: IdentityBulkForm):
    """The confirm page for a bulk merge, or the merge once confirmed."""
    data = form.cleaned_data
    target = _identity_named(data["target"])
    if target is None:
        typed = data["target"].strip()
        raise FacesiteError(
            f"No identity is named {typed!r}." if typed else "Type the name of the identity to merge into."
        )
    if not data["confirm"]:
        sources = list(
            Identity.objects.filter(pk__in=data["identity"]).exclude(pk=target.pk).order_by("name")
        )
        if not sources:
            raise FacesiteError(f"Select identities other than {target.name} to merge into it.")
        if target.archived:
            raise FacesiteError(f"{target.name} is archived; unarchive it first, or choose another identity.")
        context = {"sources": sources, "target": target}
        return render(request, "identities/identity_bulk_merge_confirm.html", context)
    report = services.identities_merge(source_ids=data["identity"], target=target, actor=request.user)
    messages.success(
        request,
        f"Merged {len(set(data['identity']) - {target.pk})} identities into {target.name}: "
        f"{report.moved_faces} faces and {report.moved_source_images} source images moved, "
        f"{report.duplicate_faces_dropped} duplicate faces dropped.",
    )
    return redirect(target)


@role_required(MANAGE)
@require_POST
def identity_bulk(request):
    """The identity list's selection: archive it, or merge it into one identity (after a
    confirm page)."""
    form = IdentityBulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Merge or Archive for the selected identities.")
        return redirect("identity_list")
    try:
        if form.cleaned_data["action"] == "merge":
            return _identities_merge(request, form)
        count = services.identities_archive(identity_ids=form.cleaned_data["identity"], actor=request.user)
    except FacesiteError as error:
        messages.error(request, str(error))
        return redirect("identity_list")
    messages.success(request, f"Archived {count} identit{'y' if count == 1 else 'ies'}.")
    return redirect("identity_list")


@role_required(MANAGE)
def identity_merge_pair(request, first: int, second: int):
    """Two identities that are probably one person: merge which into which."""
    pair = [get_object_or_404(Identity, pk=first), get_object_or_404(Identity, pk=second)]
    if pair[0].pk == pair[1].pk:
        messages.error(request, "That is one identity twice.")
        return redirect("identity_list")
    selectors.identity_thumbnails_attach(pair)
    return render(request, "identities/identity_merge_pair.html", {"pair": pair})
