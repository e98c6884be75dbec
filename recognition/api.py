"""The JSON API for scripts: recognize a photo, verify two photos, list identities.

Requests authenticate with `Authorization: Bearer <key>` (a token from /account/tokens/)
or, from the browser, with the session, which then needs a CSRF token on a POST. Every
answer is JSON, errors included: `{"error": {"code": ..., "message": ...}}`.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Annotated, TypedDict

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from facesite.errors import FacesiteError
from identities import selectors
from recognition.models import RecognitionResult
from recognition.openapi import schema_ref
from recognition.services import figures, results, tokens, uploads, verification
from recognition.services.answers import FaceAnswer
from recognition.services.verification import VerificationAnswer
from recognition.views import MANAGE, RECOGNIZE, problem_status

logger = logging.getLogger(__name__)
IDENTITIES_PER_PAGE = 50
IDENTITIES_PER_PAGE_MAX = 200


def api_error(status: int, code: str, message: str, **headers) -> JsonResponse:
    answer: Error = {"error": {"code": code, "message": message}}
    return JsonResponse(answer, status=status, headers=headers)


def _body_refusal(request) -> JsonResponse | None:
    """Read the request body up front (the session's CSRF check and the views read it
    later), so that a malformed or oversized one is a JSON 400 or 413, never a 500."""
    try:
        request.FILES  # noqa: B018 (reading the property parses the body)
    except RequestDataTooBig:
        return api_error(413, "too_large", "The form fields besides the photos are too large.")
    except (MultiPartParserError, SuspiciousOperation):
        return api_error(400, "bad_request", "The request body is not valid multipart/form-data.")
    return None


def _authenticated_user(request) -> tuple[object | None, JsonResponse | None]:
    """The user a request acts for, or the 401/403 that says why there is none."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        key = tokens.bearer_key(authorization)
        user = tokens.token_authenticate(key) if key else None
        if user is None:
            return None, api_error(401, "invalid_token", "The API token is missing, malformed or revoked.")
        return user, None
    if request.user.is_authenticated:
        # A browser session carries cookies a third-party page could ride on: CSRF applies.
        if CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is not None:
            return None, api_error(
                403, "csrf_failed", "Session requests need a CSRF token; scripts use a Bearer token."
            )
        return request.user, None
    return None, api_error(
        401,
        "not_authenticated",
        "Send an API token: Authorization: Bearer <key> (create one at /account/tokens/).",
    )


def api_endpoint(*permissions: str, methods: tuple[str, ...], photos: tuple[str, ...] = ()) -> Callable:
    """An API view: token or session auth, JSON errors for 401/403/405/413 and refused input.

    The body is read through uploads.PhotoUploadLimit: no more than the byte limit of each
    of the `photos` fields, and an endpoint without photos reads no more than a form.
    """

    def decorator(view: Callable) -> Callable:
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.upload_handlers.insert(0, uploads.PhotoUploadLimit(request, photos))
            refusal = _body_refusal(request)
            if refusal:
                return refusal
            user, refusal = _authenticated_user(request)
            if refusal:
                return refusal
            request.user = user
            if request.method not in methods:
                allowed = ", ".join(methods)
                return api_error(405, "method_not_allowed", f"Use {allowed}.", Allow=allowed)
            if permissions and not any(user.has_perm(permission) for permission in permissions):
                return api_error(403, "forbidden", "Your account lacks the role this endpoint needs.")
            try:
                return view(request, *args, **kwargs)
            except FacesiteError as error:
                return api_error(problem_status(error), getattr(error, "kind", "bad_request"), str(error))
            except Exception:
                # A script reads JSON whatever happens; the traceback goes to the log.
                logger.exception("API request %s %s failed", request.method, request.path)
                return api_error(
                    500, "internal_error", "Something went wrong on the server; it has been logged."
                )

        return wrapped

    return decorator


def _upload(request, field: str) -> bytes:
    """The bytes of one multipart file field (read through api_endpoint's limit);
    refusals are FacesiteErrors with a kind."""
    uploaded = request.FILES.get(field)
    if uploaded is None:
        raise _Refused("missing_field", f"Send the photo as the multipart file field “{field}”.")
    return uploads.upload_read(uploaded)


class _Refused(FacesiteError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ApiFace(FaceAnswer):
    figures: Annotated[dict[str, str], "PNG figure URLs, by figure name"]


class Photo(TypedDict):
    width: int
    height: int
    format: str


class RecognitionAnswer(TypedDict):
    id: Annotated[str, {"format": "uuid"}]
    url: Annotated[str, "The result page"]
    created_at: Annotated[str, {"format": "date-time"}]
    expires_at: Annotated[str | None, "Empty for a result kept until deleted", {"format": "date-time"}]
    photo: Photo
    faces: Annotated[list[ApiFace], "Largest first"]


class IdentityRow(TypedDict):
    id: int
    name: str
    approved_faces: int


class IdentityPage(TypedDict):
    count: int
    page: int
    pages: int
    results: list[IdentityRow]


class ErrorDetail(TypedDict):
    code: str
    message: str


class Error(TypedDict):
    error: ErrorDetail


def result_json(request, result: RecognitionResult) -> RecognitionAnswer:
    def absolute(name: str, *args) -> str:
        return request.build_absolute_uri(reverse(name, args=args))

    available = figures.figures_available(result)
    faces = [
        ApiFace(
            **face,
            figures={
                figure: absolute("api_figure", result.pk, face["number"], figure) for figure in available
            },
        )
        for face in result.faces
    ]
    return {
        "id": str(result.pk),
        "url": absolute("recognition_result", result.pk),
        "created_at": result.created_at.isoformat(),
        "expires_at": result.expires_at.isoformat() if result.expires_at else None,
        "photo": {"width": result.width, "height": result.height, "format": result.image_format},
        "faces": faces,
    }


@api_endpoint(RECOGNIZE, methods=("POST",), photos=("image",))
def recognize(request):
    keep = request.POST.get("keep", "").lower() in {"1", "true", "yes", "on"}
    result = uploads.photo_recognize(data=_upload(request, "image"), user=request.user, keep=keep)
    return JsonResponse(result_json(request, result))


@api_endpoint(RECOGNIZE, methods=("POST",), photos=("image1", "image2"))
def verify(request):
    answer = verification.photos_verify(first=_upload(request, "image1"), second=_upload(request, "image2"))
    return JsonResponse(answer.as_dict())


def _positive_int(value: str | None, default: int, maximum: int) -> int:
    try:
        return max(1, min(maximum, int(value))) if value else default
    except ValueError:
        raise _Refused("bad_request", f"Expected a whole number, got {value!r}.") from None


@api_endpoint(RECOGNIZE, MANAGE, methods=("GET",))
def identity_list(request):
    """Active identities A to Z, searched by name or alias with `q`, a page at a time."""
    identities = selectors.identity_list(search=request.GET.get("q", ""))
    per_page = _positive_int(request.GET.get("per_page"), IDENTITIES_PER_PAGE, IDENTITIES_PER_PAGE_MAX)
    paginator = Paginator(identities, per_page)
    page = paginator.get_page(_positive_int(request.GET.get("page"), 1, max(paginator.num_pages, 1)))
    answer: IdentityPage = {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [
            {"id": identity.pk, "name": identity.name, "approved_faces": identity.approved_count}
            for identity in page
        ],
    }
    return JsonResponse(answer)


@api_endpoint(RECOGNIZE, MANAGE, methods=("GET",))
def figure(request, pk, number: int, figure: str):
    """A face's figure as PNG, for the figure links in a recognize answer."""
    result = results.result_visible(request.user, pk, number)
    if figure not in figures.FIGURES:
        return api_error(404, "not_found", f"Figures: {', '.join(figures.FIGURES)}.")
    try:
        png = figures.figure_png(result, number, figure)
    except figures.FigureUnavailable as error:
        return api_error(404, "figure_unavailable", str(error))
    return HttpResponse(png, content_type="image/png")


@api_endpoint(methods=("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request, rest: str):
    return api_error(404, "not_found", f"No API endpoint at /api/v1/{rest}; see /api/v1/openapi.json.")


@login_not_required
def openapi(request):
    """The hand-written OpenAPI description; public, since it holds no data."""
    return JsonResponse(openapi_description(request.build_absolute_uri("/api/v1")))


def _json_response(description: str, answer: type, components: dict) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema_ref(answer, components)}},
    }


def _photo_form(*fields: str, **options: dict) -> dict:
    properties = {
        field: {"type": "string", "format": "binary", "description": "JPEG, PNG or WebP"} for field in fields
    }
    properties.update(options)
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": list(fields), "properties": properties}
            }
        },
    }


def _query(name: str, schema: dict, description: str = "", where: str = "query") -> dict:
    parameter = {"name": name, "in": where, "schema": schema, "required": where == "path"}
    return {**parameter, "description": description} if description else parameter


def openapi_description(server_url: str) -> dict:
    """The OpenAPI description: paths written here, every answer's schema generated from
    the TypedDicts the views return (recognition.openapi)."""
    components: dict = {}

    def error(description: str) -> dict:
        return _json_response(description, Error, components)

    refused = {
        "400": error(
            "Not a usable image (not_an_image, truncated, unsupported, too_many_pixels, empty), "
            "or a missing field"
        ),
        "401": error("No token, or a malformed or revoked one"),
        "403": error("The token's user lacks the uploader role"),
        "405": error("Wrong method"),
        "413": error("File over the byte limit (too_large)"),
        "422": error("No face found in a photo (no_face)"),
    }
    keep = {
        "type": "string",
        "enum": ["1", "true", "yes", "on"],
        "description": "Keep the photo and result until deleted, instead of "
        f"{settings.FACESITE_RESULT_TTL_HOURS} hours",
    }
    paths = {
        "/recognize": {
            "post": {
                "summary": "Find every face in a photo and name it, or call it unknown",
                "requestBody": _photo_form("image", keep=keep),
                "responses": {
                    "200": _json_response("The faces, largest first", RecognitionAnswer, components),
                    **refused,
                },
            }
        },
        "/verify": {
            "post": {
                "summary": "Whether the largest faces of two photos are the same person",
                "requestBody": _photo_form("image1", "image2"),
                "responses": {
                    "200": _json_response("Similarity and decision", VerificationAnswer, components),
                    **refused,
                },
            }
        },
        "/identities": {
            "get": {
                "summary": "Active identities, A to Z",
                "parameters": [
                    _query("q", {"type": "string"}, "Part of a name or alias"),
                    _query("page", {"type": "integer", "minimum": 1}),
                    _query("per_page", {"type": "integer", "minimum": 1, "maximum": IDENTITIES_PER_PAGE_MAX}),
                ],
                "responses": {
                    "200": _json_response("One page of identities", IdentityPage, components),
                    "401": refused["401"],
                    "403": error("The token's user is neither uploader nor admin"),
                },
            }
        },
        "/results/{id}/faces/{number}/{figure}.png": {
            "get": {
                "summary": "A figure of one face of a recognize answer (its `figures` links)",
                "parameters": [
                    _query("id", {"type": "string"}, where="path"),
                    _query("number", {"type": "integer"}, where="path"),
                    _query("figure", {"type": "string", "enum": list(figures.FIGURES)}, where="path"),
                ],
                "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {}}},
                    "401": refused["401"],
                    "404": error("No such result (results expire), face or figure"),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "facesite API",
            "version": "1",
            "description": "Recognize faces, verify two photos, list identities. "
            "Errors are JSON with a code and a message.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A key from /account/tokens/"}
            },
            "schemas": components,
        },
    }
