import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from facesite.roles import role_required
from identities.models import Face, SourceImage


def overview(request):
    return render(request, "identities/overview.html")


def _image_response(storage_name: str) -> FileResponse:
    if not storage_name or not default_storage.exists(storage_name):
        raise Http404("Image file missing.")
    content_type = mimetypes.guess_type(storage_name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(storage_name, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Content-addressed files never change, so a browser may keep them, but only privately.
@cache_control(private=True, max_age=86400, immutable=True)
@role_required("identities.manage_identities", "identities.review_faces")
def face_image(request, pk: int):
    return _image_response(get_object_or_404(Face, pk=pk).file)


@cache_control(private=True, max_age=86400, immutable=True)
@role_required("identities.manage_identities", "identities.review_faces")
def source_image_file(request, pk: int):
    return _image_response(get_object_or_404(SourceImage, pk=pk).file)
