"""The recognition pages: upload and result, figures, adding a face to an identity,
verification, API tokens, and faces that look like someone else (an identity's, and the
gallery-wide scan's)."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from facesite.errors import FacesiteError
from facesite.responses import stored_file_response
from facesite.roles import role_required
from identities.models import Face, Identity
from identities.selectors import identity_thumbnails_attach
from recognition.forms import AddToIdentityForm, RecognizeForm, TokenCreateForm, VerifyForm
from recognition.gallery import curation, lookalikes
from recognition.models import ApiToken, RecognitionResult
from recognition.services import figures, results, tokens, uploads, verification

RECOGNIZE = "identities.recognize_faces"
MANAGE = "identities.manage_identities"
# Rejecting a face outside the review queue is an override.
OVERRIDE = "identities.override_reviews"
ANY_ROLE = (MANAGE, "identities.review_faces", RECOGNIZE)
RECENT_RESULTS = 20
CURATE_FACES_PER_PAGE = 100
GONE = "The file has gone with its result."


def problem_status(error: FacesiteError) -> int:
    """The HTTP status a refused request answers with, on the pages and the API alike."""
    if isinstance(error, results.ResultNotFound):
        return 404
    if isinstance(error, uploads.NoFaceFound):
        return 422
    if getattr(error, "kind", None) == "too_large":
        return 413
    return 400


def photo_upload(*fields: str) -> Callable:
    """View decorator: the request body is read through uploads.PhotoUploadLimit, so no
    photo field brings more than FACESITE_MAX_IMAGE_BYTES into memory or onto disk.

    The handler must be in place before anything reads the body, and the CSRF check
    reads it: so the view is CSRF-exempt here and checked below instead. A body refused
    whole for its length is not read, so it carries no token; it needs none, since each
    of its photo fields is an OversizeUpload, which the view can only refuse.
    """

    def decorator(view: Callable) -> Callable:
        checked = view if getattr(view, "csrf_exempt", False) else csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.upload_handlers.insert(0, uploads.PhotoUploadLimit(request, fields))
            content_length = request.META.get("CONTENT_LENGTH")
            if request.method == "POST" and uploads.upload_body_too_large(content_length, len(fields)):
                return view(request, *args, **kwargs)
            return checked(request, *args, **kwargs)

        return wrapped

    return decorator


@role_required(RECOGNIZE)
@require_http_methods(["GET", "POST"])
@photo_upload("image")
def recognize(request):
    form = RecognizeForm(request.POST, request.FILES) if request.method == "POST" else RecognizeForm()
    if request.method == "POST" and form.is_valid():
        try:
            data = uploads.upload_read(form.cleaned_data["image"])
            result = uploads.photo_recognize(data=data, user=request.user, keep=form.cleaned_data["keep"])
        except FacesiteError as error:
            form.add_error("image", str(error))
            return _recognize_page(request, form, status=problem_status(error))
        return redirect(result)
    return _recognize_page(request, form, status=400 if form.errors else 200)


def _recognize_page(request, form: RecognizeForm, status: int):
    context = {
        "form": form,
        "ttl_hours": settings.FACESITE_RESULT_TTL_HOURS,
        "results": RecognitionResult.objects.live().filter(user=request.user)[:RECENT_RESULTS],
    }
    return render(request, "recognition/recognize.html", context, status=status)


def _result_get(request, pk, number: int | None = None) -> RecognitionResult:
    try:
        return results.result_visible(request.user, pk, number)
    except results.ResultNotFound as error:
        raise Http404(str(error)) from None


@role_required(RECOGNIZE, MANAGE)
def recognition_result(request, pk):
    result = _result_get(request, pk)
    context = {
        "result": result,
        "figures": figures.figures_available(result),
        "add_form": AddToIdentityForm() if request.user.has_perm(MANAGE) else None,
    }
    return render(request, "recognition/result.html", context)


@cache_control(private=True, max_age=3600)
@role_required(RECOGNIZE, MANAGE)
def recognition_photo(request, pk):
    return stored_file_response(_result_get(request, pk).photo, GONE)


@cache_control(private=True, max_age=3600)
@role_required(RECOGNIZE, MANAGE)
def recognition_chip(request, pk, number: int):
    result = _result_get(request, pk, number)
    return stored_file_response(
        results.result_chip_name(result, number), "The file has gone with its result."
    )


@cache_control(private=True, max_age=3600)
@role_required(RECOGNIZE, MANAGE)
def recognition_match(request, pk, number: int):
    """The enrolled face that scored a result face's best gallery match: whoever may see
    the result may see what it was matched with."""
    result = _result_get(request, pk, number)
    face_id = result.faces[number - 1]["gallery"].get("matched_face_id")
    face = Face.objects.filter(pk=face_id).first() if face_id else None
    return stored_file_response(face.file if face else "", "The matched face is no longer in the gallery.")


@cache_control(private=True, max_age=3600)
@role_required(RECOGNIZE, MANAGE)
def recognition_figure(request, pk, number: int, figure: str):
    result = _result_get(request, pk, number)
    if figure not in figures.FIGURES:
        raise Http404("No such figure.")
    try:
        png = figures.figure_png(result, number, figure)
    except figures.FigureUnavailable as error:
        return HttpResponse(str(error), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="face-{number}-{figure}.png"'
    return response


@require_POST
@role_required(RECOGNIZE, MANAGE)
def recognition_delete(request, pk):
    results.result_delete(_result_get(request, pk))
    messages.success(request, "Deleted the result and its photo.")
    return redirect("recognize")


@require_POST
@role_required(MANAGE)
def recognition_face_add(request, pk, number: int):
    result = _result_get(request, pk, number)
    form = AddToIdentityForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Face {number}: {form.error_text()}")
        return redirect(result)
    try:
        if form.cleaned_data["target"] == AddToIdentityForm.NEW:
            face = results.result_face_add_to_new_identity(
                result=result, number=number, name=form.cleaned_data["identity"], actor=request.user
            )
        else:
            face = results.result_face_add(
                result=result, number=number, identity=form.cleaned_data["identity"], actor=request.user
            )
    except FacesiteError as error:
        messages.error(request, f"Face {number}: {error}")
        return redirect(result)
    identity = face.identity
    if face.status == face.Status.PENDING:
        messages.success(request, f"Face {number} added to {identity.name}; it waits in the review queue.")
    else:
        messages.warning(
            request, f"Face {number} added to {identity.name} but rejected: {face.get_reason_display()}."
        )
    return redirect(result)


@role_required(RECOGNIZE)
@require_http_methods(["GET", "POST"])
@photo_upload("image1", "image2")
def verify(request):
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    context = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            context["verification"] = verification.photos_verify(
                first=uploads.upload_read(form.cleaned_data["image1"]),
                second=uploads.upload_read(form.cleaned_data["image2"]),
            )
        except FacesiteError as error:
            form.add_error(None, str(error))
            status = problem_status(error)
    elif form.errors:
        status = 400
    return render(request, "recognition/verify.html", context, status=status)


@role_required(*ANY_ROLE)
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenCreateForm(request.POST or None)
    context = {"form": form, "tokens": ApiToken.objects.filter(user=request.user)}
    if request.user.has_perm(MANAGE):
        # Admins revoke anyone's tokens: a leaving colleague's, or one a leaked script holds.
        context["other_tokens"] = ApiToken.objects.exclude(user=request.user).select_related("user")
    if request.method == "POST" and form.is_valid():
        token, key = tokens.token_create(user=request.user, name=form.cleaned_data["name"])
        # The key is shown on this response only; reloading the page will not show it again.
        context.update(new_token=token, new_key=key, form=TokenCreateForm())
    return render(request, "recognition/tokens.html", context)


@require_POST
@role_required(*ANY_ROLE)
def token_revoke(request, pk: int):
    revocable = ApiToken.objects.all() if request.user.has_perm(MANAGE) else request.user.api_tokens.all()
    token = get_object_or_404(revocable.select_related("user"), pk=pk)
    tokens.token_revoke(token=token, actor=request.user)
    owner = "" if token.user_id == request.user.pk else f" of {token.user.get_username()}"
    messages.success(request, f"Revoked the token “{token.name}”{owner}; scripts using it now get 401.")
    return redirect("token_list")


@role_required(*ANY_ROLE)
def api_docs(request):
    return render(request, "recognition/api_docs.html")


@role_required(OVERRIDE)
def identity_lookalikes(request, pk: int):
    """An identity's approved faces that the gallery finds more like another identity,
    each with a Reject that goes through the admin override."""
    identity = get_object_or_404(Identity, pk=pk)
    context = {
        "identity": identity,
        "lookalikes": lookalikes.identity_lookalikes(identity.pk),
        "threshold": lookalikes.lookalike_threshold(),
        "unembedded": lookalikes.gallery_faces_unembedded(),
        "wrong_person": Face.Reason.WRONG_PERSON,
    }
    return render(request, "recognition/identity_lookalikes.html", context)


@role_required(OVERRIDE)
@require_http_methods(["GET", "POST"])
def gallery_lookalikes(request):
    """The latest gallery-wide lookalike scan, identities with the most suspicious faces
    first; its button (POST) queues a new scan and shows its job."""
    if request.method == "POST":
        job_run, started = lookalikes.lookalikes_scan_start(actor=request.user)
        if started:
            messages.success(request, f"Queued {job_run}.")
        else:
            messages.info(request, f"A scan is already {job_run.get_status_display().lower()}: {job_run}.")
        return redirect(job_run)
    finished, active = lookalikes.lookalikes_scan_latest()
    return render(request, "recognition/gallery_lookalikes.html", {"scan": finished, "active": active})


@role_required(MANAGE)
def identity_curate(request, pk: int):
    """An identity's approved faces farthest from its core first, to select and move or
    reject. Recognition's page, since the order needs the gallery's rows; identities'
    view (identity_faces_curate) does the moving and rejecting for both pages."""
    identity = get_object_or_404(Identity, pk=pk)
    ranked = curation.identity_faces_by_core_distance(identity.pk)
    context = {
        "identity": identity,
        "page": Paginator(ranked, CURATE_FACES_PER_PAGE).get_page(request.GET.get("page")),
        "unembedded": identity.approved_count - len(ranked),
        "reasons": Face.Reason.choices,
    }
    return render(request, "recognition/identity_curate.html", context)


@role_required(MANAGE)
def same_person_pairs(request):
    """Identities whose cores are closer than the 1:1 threshold, closest first, each pair
    with a merge button."""
    pairs, total, threshold = curation.same_person_pairs()
    identity_ids = {identity_id for pair in pairs for identity_id in (pair.first_id, pair.second_id)}
    identities = {
        identity.pk: identity
        for identity in identity_thumbnails_attach(list(Identity.objects.filter(pk__in=identity_ids)))
    }
    rows = [(pair, [identities[pair.first_id], identities[pair.second_id]]) for pair in pairs]
    context = {"rows": rows, "total": total, "threshold": threshold}
    return render(request, "recognition/same_person_pairs.html", context)
