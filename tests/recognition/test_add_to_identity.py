"""From a result, an admin adds a face to an identity; it waits in the review queue."""

import io

from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from identities.models import AuditEvent, Face, SourceImage
from recognition.models import RecognitionResult
from tests.conftest import make_user
from tests.factories import make_identity
from tests.pipeline.test_crop_align_eyes import PHOTO, eye_angle
from tests.recognition.uploads import JANE, JOHN, group_photo, upload


def test_an_admin_adds_a_face_of_a_group_photo_to_an_identity(client, admin):
    john = make_identity("John Roe")
    both_roles = make_user("ursula", "uploader")
    client.force_login(both_roles)
    client.post(reverse("recognize"), {"image": upload(group_photo(JANE, JOHN))})
    result = RecognitionResult.objects.get()
    number = max(result.faces, key=lambda face: face["box"]["left"])["number"]  # John is on the right
    client.force_login(admin)

    response = client.post(
        reverse("recognition_face_add", args=[result.pk, number]), {"identity": "john roe"}, follow=True
    )

    face = Face.objects.get()
    box = result.faces[number - 1]["box"]
    assert "waits in the review queue" in response.content.decode()
    assert face.identity == john and face.status == Face.Status.PENDING
    assert (face.box_left, face.box_top, face.box_width, face.box_height) == (
        box["left"],
        box["top"],
        box["width"],
        box["height"],
    )
    assert face.source_image.origin == SourceImage.Origin.UPLOAD
    assert (face.source_image.width, face.source_image.height) == (result.width, result.height)
    john.refresh_from_db()
    assert john.pending_count == 1
    event = AuditEvent.objects.get(action="face.add_from_recognition")
    assert event.actor == admin and event.after["result"] == str(result.pk)

    again = client.post(
        reverse("recognition_face_add", args=[result.pk, number]), {"identity": "John Roe"}, follow=True
    )
    assert "already one of John Roe" in again.content.decode() and Face.objects.count() == 1


def test_a_name_that_is_no_identity_is_refused(client, db):
    client.force_login(make_user("ursula", "admin", "uploader"))
    client.post(reverse("recognize"), {"image": upload(group_photo(JOHN))})
    result = RecognitionResult.objects.get()

    response = client.post(
        reverse("recognition_face_add", args=[result.pk, 1]), {"identity": "Nobody"}, follow=True
    )

    assert "No identity is named “Nobody”" in response.content.decode()
    assert not Face.objects.exists()


def test_uploaders_cannot_add_faces(uploader_web):
    make_identity("John Roe")
    uploader_web.post(reverse("recognize"), {"image": upload(group_photo(JOHN))})
    result = RecognitionResult.objects.get()

    response = uploader_web.post(
        reverse("recognition_face_add", args=[result.pk, 1]), {"identity": "John Roe"}
    )

    assert response.status_code == 403 and not Face.objects.exists()
    assert "Add this face" not in uploader_web.get(result.get_absolute_url()).content.decode()


def test_a_face_added_from_a_result_is_levelled_as_an_import_is(client, db, settings):
    settings.FACESITE_CROP_ALIGN_EYES = True
    make_identity("Jane Roe")
    client.force_login(make_user("ursula", "admin", "uploader"))
    tilted = Image.open(PHOTO).convert("RGB").rotate(-20, resample=Image.Resampling.BICUBIC, expand=True)
    buffer = io.BytesIO()
    tilted.save(buffer, "JPEG", quality=95)
    client.post(reverse("recognize"), {"image": upload(buffer.getvalue())})
    result = RecognitionResult.objects.get()

    client.post(reverse("recognition_face_add", args=[result.pk, 1]), {"identity": "Jane Roe"})

    with default_storage.open(Face.objects.get().file) as crop_file:
        crop = Image.open(crop_file).convert("RGB")
    assert abs(eye_angle(crop)) < 4
