from django.contrib.auth.models import Group


def test_each_role_is_a_group_holding_its_permissions(db):
    permissions = {
        group.name: sorted(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }
    assert permissions == {
        "admin": ["manage_identities", "override_reviews"],
        "reviewer": ["review_faces"],
        "uploader": ["recognize_faces"],
    }


def test_pages_need_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_is_open_and_logs_in(client, admin):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "ada", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
