"""Files of an uploaded zip are named by the upload's own name, not the server's path to it."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from identities.models import Identity, SourceImage
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = Path(__file__).parents[1] / "fixtures" / "celeba" / "7221" / "025916.jpg"


def test_an_unusable_file_is_named_zip_name_colon_entry(admin_web, rq_queues):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(PHOTO, "7203/025916.jpg")
        archive.writestr("7203/notes.txt", "not a photo")
    upload = SimpleUploadedFile("celeba10.zip", buffer.getvalue(), content_type="application/zip")
    admin_web.post(reverse("import_upload"), {"archive": upload, "detector": "haar"})

    burst_work("process")

    identity = Identity.objects.get(name="7203")
    unusable = SourceImage.objects.get(status=SourceImage.Status.INVALID)
    assert unusable.origin_detail == "celeba10.zip: 7203/notes.txt"
    assert SourceImage.objects.filter(origin_detail="celeba10.zip: 7203/025916.jpg").exists()
    assert "celeba10.zip: 7203/notes.txt" in admin_web.get(identity.get_absolute_url()).content.decode()
