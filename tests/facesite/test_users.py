from django.contrib.auth import get_user_model

from facesite.roles import user_roles
from identities.models import AuditEvent

PASSWORD = "a sturdy passphrase 42"


def test_admin_creates_a_user_with_roles(admin_web):
    response = admin_web.post(
        "/users/new/",
        {"username": "rene", "password1": PASSWORD, "password2": PASSWORD, "roles": ["reviewer", "uploader"]},
    )
    assert response.status_code == 302
    rene = get_user_model().objects.get(username="rene")
    assert rene.check_password(PASSWORD)
    assert sorted(user_roles(rene)) == ["reviewer", "uploader"]
    assert rene.has_perm("identities.review_faces") and not rene.has_perm("identities.manage_identities")
    assert AuditEvent.objects.for_target(rene).get().action == "user.create"


def test_duplicate_username_is_a_form_error(admin_web, reviewer):
    response = admin_web.post(
        "/users/new/", {"username": "rita", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_admin_changes_roles_and_password(admin_web, reviewer):
    response = admin_web.post(
        f"/users/{reviewer.pk}/",
        {"roles": ["uploader"], "is_active": "on", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert user_roles(reviewer) == ["uploader"]
    assert reviewer.check_password(PASSWORD)
    event = AuditEvent.objects.for_target(reviewer).get(action="user.change")
    assert event.before["roles"] == ["reviewer"] and event.after["roles"] == ["uploader"]


def test_a_weak_new_password_is_refused(admin_web, reviewer):
    response = admin_web.post(
        f"/users/{reviewer.pk}/",
        {"roles": ["reviewer"], "is_active": "on", "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    reviewer.refresh_from_db()
    assert reviewer.check_password("correct horse battery staple")


def test_admin_cannot_lock_themselves_out(admin_web, admin):
    response = admin_web.post(f"/users/{admin.pk}/", {"roles": ["reviewer"], "is_active": "on"})
    assert response.status_code == 200
    assert "your own admin role" in response.content.decode()
    assert user_roles(admin) == ["admin"]


def test_user_pages_need_the_admin_role(reviewer_web, uploader):
    for url in ("/users/", "/users/new/", f"/users/{uploader.pk}/"):
        response = reviewer_web.get(url)
        assert response.status_code == 403
        assert "needs the admin role" in response.content.decode()
