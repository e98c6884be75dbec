"""Results expire after FACESITE_RESULT_TTL_HOURS and their files go with them."""

import io
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from recognition.models import RecognitionResult
from recognition.services.uploads import Recognition, _result_store, photo_decode
from tests.recognition.uploads import faceless_photo, photo, upload


def stored_result(user, *, keep: bool = False, age_hours: float = 0) -> RecognitionResult:
    """A result as an upload stores it, without running detection: one face, one chip."""
    data = photo()
    face = {
        "number": 1,
        "box": {"left": 10, "top": 10, "width": 50, "height": 50},
        "gallery": {},
        "model": None,
    }
    chip = np.zeros((160, 160, 3), dtype=np.uint8)
    result = _result_store(Recognition(photo_decode(data), [face], [chip], None), data, user=user, keep=keep)
    if age_hours:
        RecognitionResult.objects.filter(pk=result.pk).update(
            created_at=result.created_at - timedelta(hours=age_hours),
            expires_at=None if keep else result.expires_at - timedelta(hours=age_hours),
        )
    return result


def result_files(result) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / result.files_dir
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_result_lives_for_the_configured_hours(uploader, settings):
    settings.FACESITE_RESULT_TTL_HOURS = 6
    result = stored_result(uploader)

    assert result.expires_at - result.created_at == timedelta(hours=6)
    assert [path.name for path in result_files(result)] == ["face-1.png", "photo.jpg"]


def test_the_cleanup_command_deletes_expired_results_and_their_files(uploader):
    expired = stored_result(uploader, age_hours=25)
    fresh = stored_result(uploader)
    kept = stored_result(uploader, keep=True, age_hours=24 * 30)
    output = io.StringIO()

    call_command("recognition_cleanup", stdout=output)

    assert "Deleted 1 expired" in output.getvalue()
    assert set(RecognitionResult.objects.values_list("pk", flat=True)) == {fresh.pk, kept.pk}
    assert result_files(expired) == [] and not (Path(settings.MEDIA_ROOT) / expired.files_dir).exists()
    assert result_files(fresh) and result_files(kept)


def test_each_upload_cleans_up_expired_results_first(uploader_web, uploader):
    expired = stored_result(uploader, age_hours=48)

    uploader_web.post(reverse("recognize"), {"image": upload(faceless_photo())})

    assert not RecognitionResult.objects.filter(pk=expired.pk).exists()
    assert result_files(expired) == []


def test_an_expired_result_page_is_gone_even_before_the_cleanup(uploader_web, uploader):
    result = stored_result(uploader, age_hours=30)

    assert uploader_web.get(reverse("recognition_result", args=[result.pk])).status_code == 404
    assert uploader_web.get(reverse("recognition_photo", args=[result.pk])).status_code == 404


def test_deleting_a_result_removes_its_files_at_once(uploader_web, uploader):
    result = stored_result(uploader, keep=True)

    uploader_web.post(reverse("recognition_delete", args=[result.pk]))

    assert not RecognitionResult.objects.exists() and result_files(result) == []


def test_a_result_is_only_for_its_owner_and_admins(client, uploader, admin, db):
    from tests.conftest import make_user

    result = stored_result(uploader)
    other = make_user("ursula", "uploader")
    client.force_login(other)
    assert client.get(reverse("recognition_result", args=[result.pk])).status_code == 404
    client.force_login(admin)
    assert client.get(reverse("recognition_photo", args=[result.pk])).status_code == 200


def test_the_upload_page_lists_your_live_and_kept_results(uploader_web, uploader, admin):
    live, kept = stored_result(uploader), stored_result(uploader, keep=True, age_hours=100)
    expired, others = stored_result(uploader, age_hours=30), stored_result(admin)

    page = uploader_web.get(reverse("recognize")).content.decode()

    assert live.get_absolute_url() in page and kept.get_absolute_url() in page
    assert expired.get_absolute_url() not in page and others.get_absolute_url() not in page
