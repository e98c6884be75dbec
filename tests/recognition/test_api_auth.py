"""Who may call the API: tokens, revoked tokens, roles, sessions with CSRF; errors are JSON."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from recognition.models import ApiToken
from tests.recognition.uploads import bearer, faceless_photo, upload


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("name", ["api_recognize", "api_verify", "api_identities"])
def test_no_token_is_401_json_not_a_login_redirect(client, db, name):
    method = client.get if name == "api_identities" else client.post
    assert_json_error(method(reverse(name)), 401, "not_authenticated")


def test_a_wrong_or_malformed_token_is_401(client, db):
    for header in ("Bearer fs_not-a-real-key", "Basic dXNlcjpwYXNz", "Bearer "):
        assert_json_error(
            client.get(reverse("api_identities"), HTTP_AUTHORIZATION=header), 401, "invalid_token"
        )


def test_a_revoked_token_is_401(client, uploader):
    headers = bearer(uploader)
    assert client.get(reverse("api_identities"), **headers).status_code == 200

    ApiToken.objects.get(user=uploader).delete()

    assert_json_error(client.get(reverse("api_identities"), **headers), 401, "invalid_token")


def test_a_token_of_a_deactivated_user_is_401(client, uploader):
    headers = bearer(uploader)
    uploader.is_active = False
    uploader.save()

    assert_json_error(client.get(reverse("api_identities"), **headers), 401, "invalid_token")


def test_a_token_acts_with_its_users_roles(client, reviewer, admin):
    reviewer_headers = bearer(reviewer)
    assert_json_error(
        client.post(reverse("api_recognize"), {"image": upload(faceless_photo())}, **reviewer_headers),
        403,
        "forbidden",
    )
    assert_json_error(client.get(reverse("api_identities"), **reviewer_headers), 403, "forbidden")
    # Admins list identities but, without the uploader role, do not recognize.
    assert client.get(reverse("api_identities"), **bearer(admin)).status_code == 200
    assert_json_error(client.post(reverse("api_verify"), **bearer(admin)), 403, "forbidden")


def test_using_a_token_notes_when_it_was_last_used_at_most_once_a_minute(client, uploader):
    headers = bearer(uploader)
    client.get(reverse("api_identities"), **headers)
    first_use = ApiToken.objects.get(user=uploader).last_used_at

    client.get(reverse("api_identities"), **headers)
    assert ApiToken.objects.get(user=uploader).last_used_at == first_use
    ApiToken.objects.update(last_used_at=first_use - timedelta(minutes=2))
    client.get(reverse("api_identities"), **headers)

    assert first_use is not None
    assert ApiToken.objects.get(user=uploader).last_used_at > first_use


def test_an_unexpected_failure_is_a_json_500(client, uploader, monkeypatch):
    from recognition.services import verification

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(verification, "photos_verify", broken)
    photos = {"image1": upload(faceless_photo()), "image2": upload(faceless_photo())}
    response = client.post(reverse("api_verify"), photos, **bearer(uploader))

    assert_json_error(response, 500, "internal_error")
    assert "disk on fire" not in response.content.decode()


def test_wrong_method_and_unknown_endpoint_are_json(client, uploader):
    headers = bearer(uploader)

    response = client.get(reverse("api_recognize"), **headers)
    assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert_json_error(client.get("/api/v1/faces", **headers), 404, "not_found")


def test_a_missing_file_field_is_400(client, uploader):
    response = client.post(reverse("api_recognize"), {"photo": upload(faceless_photo())}, **bearer(uploader))
    assert_json_error(response, 400, "missing_field")


def test_a_browser_session_needs_a_csrf_token_to_post_but_a_bearer_token_does_not(uploader):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(uploader)

    refused = browser.post(reverse("api_recognize"), {"image": upload(faceless_photo())})
    scripted = Client(enforce_csrf_checks=True).post(
        reverse("api_recognize"), {"image": upload(faceless_photo())}, **bearer(uploader)
    )

    assert_json_error(refused, 403, "csrf_failed")
    assert_json_error(scripted, 422, "no_face")
    assert browser.get(reverse("api_identities")).status_code == 200
