import pytest

from tests.factories import make_identity

MANAGEMENT_PAGES = [
    ("get", "/identities/"),
    ("get", "/identities/new/"),
    ("post", "/identities/new/"),
    ("get", "/identities/bulk-add/"),
    ("post", "/identities/bulk-add/"),
    ("get", "/identities/{pk}/"),
    ("get", "/identities/{pk}/edit/"),
    ("post", "/identities/{pk}/edit/"),
    ("post", "/identities/{pk}/archive/"),
    ("post", "/identities/{pk}/unarchive/"),
    ("get", "/identities/{pk}/delete/"),
    ("post", "/identities/{pk}/delete/"),
    ("get", "/identities/{pk}/merge/"),
    ("post", "/identities/{pk}/merge/"),
    ("get", "/audit/"),
]


@pytest.mark.parametrize("web", ["reviewer_web", "uploader_web", "outsider_web"])
def test_roles_without_manage_permission_get_403_with_a_plain_message(request, web, db):
    identity = make_identity("Ada Lovelace")
    client = request.getfixturevalue(web)
    for method, url in MANAGEMENT_PAGES:
        response = getattr(client, method)(url.format(pk=identity.pk), {"name": "Changed"})
        assert response.status_code == 403, f"{method} {url}"
        assert "This page needs the admin role." in response.content.decode()
    identity.refresh_from_db()
    assert identity.name == "Ada Lovelace" and not identity.archived


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/identities/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_forms_need_the_csrf_token(admin, db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post("/identities/new/", {"name": "Ada"}).status_code == 403


@pytest.mark.parametrize("action", ["archive", "unarchive"])
def test_post_only_actions_refuse_get(admin_web, action, db):
    identity = make_identity("Ada Lovelace")
    assert admin_web.get(f"/identities/{identity.pk}/{action}/").status_code == 405
