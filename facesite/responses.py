"""Serving stored files: face crops, source photos, dataset items, recognition results."""

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404


def stored_file_response(storage_name: str, missing: str = "Image file missing.") -> FileResponse:
    """A file of the default storage, typed by its extension and never sniffed; 404 with
    `missing` when it is not there.

    Every stored name's extension was chosen from its decoded content, not from what an
    uploader called it, so it says what the file is.
    """
    if not storage_name or not default_storage.exists(storage_name):
        raise Http404(missing)
    content_type = mimetypes.guess_type(storage_name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(storage_name, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
