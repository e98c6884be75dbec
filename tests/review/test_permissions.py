"""Reviewers review; admins settle, override and read statistics; uploaders do neither."""

import pytest

from identities.models import Face
from tests.factories import vote_served

REVIEWER_PAGES = [
    ("get", "/review/"),
    ("get", "/review/batch/"),
    ("post", "/review/batch/"),
    ("post", "/review/decisions/"),
    ("get", "/review/identities/"),
]
ADMIN_PAGES = [
    ("get", "/review/conflicts/"),
    ("get", "/review/stats/"),
    ("get", "/faces/{face}/"),
    ("post", "/faces/{face}/override/"),
    ("get", "/identities/{identity}/review/"),
    ("get", "/identities/{identity}/review/batch/"),
    ("post", "/review/overrides/"),
    ("get", "/review/reviewers/{admin}/"),
]


def request_each(client, pages, **ids) -> dict[str, int]:
    return {
        f"{method} {url}": getattr(client, method)(url.format(**ids)).status_code for method, url in pages
    }


@pytest.mark.parametrize("web", ["uploader_web", "outsider_web"])
def test_only_reviewers_review(request, web, pending_faces):
    client = request.getfixturevalue(web)
    assert set(request_each(client, REVIEWER_PAGES).values()) == {403}
    response = client.post(
        "/review/decisions/",
        {"operations": [{"face": pending_faces[0].pk, "action": "approved"}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Face.objects.filter(votes__isnull=False).exists()


def test_reviewers_cannot_reach_admin_pages(reviewer_web, admin, grace, pending_faces):
    statuses = request_each(
        reviewer_web, ADMIN_PAGES, face=pending_faces[0].pk, identity=grace.pk, admin=admin.pk
    )
    assert set(statuses.values()) == {403}, statuses
    assert Face.objects.get(pk=pending_faces[0].pk).status == "pending"


def test_reviewers_see_their_own_history(reviewer_web, reviewer, pending_faces):
    vote_served(reviewer=reviewer, face_id=pending_faces[0].pk, decision="approved")
    response = reviewer_web.get(f"/review/reviewers/{reviewer.pk}/")
    assert response.status_code == 200
    assert "rita's reviews" in response.content.decode()


def test_admins_reach_every_admin_page(admin_web, admin, grace, pending_faces):
    pages = [(method, url) for method, url in ADMIN_PAGES if method == "get"]
    statuses = request_each(admin_web, pages, face=pending_faces[0].pk, identity=grace.pk, admin=admin.pk)
    assert set(statuses.values()) == {200}, statuses


def test_the_nav_shows_each_role_its_pages(reviewer_web, client, admin):
    reviewer_page = reviewer_web.get("/").content.decode()
    assert 'href="/review/"' in reviewer_page and "/review/conflicts/" not in reviewer_page
    client.force_login(admin)
    admin_page = client.get("/").content.decode()
    assert "/review/conflicts/" in admin_page and "/review/stats/" in admin_page


def test_decisions_need_the_csrf_token(reviewer, pending_faces):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(
        "/review/decisions/",
        {"operations": [{"face": pending_faces[0].pk, "action": "approved"}]},
        content_type="application/json",
    )
    assert response.status_code == 403
