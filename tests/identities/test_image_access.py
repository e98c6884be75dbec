import pytest

from tests.factories import make_face, make_identity


@pytest.fixture
def face(db):
    return make_face(make_identity("Grace Hopper"))


def test_admins_see_face_images(admin_web, face):
    response = admin_web.get(f"/faces/{face.pk}/image/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_source_photos_are_served_the_same_way(admin_web, face):
    assert admin_web.get(f"/sources/{face.source_image_id}/image/").status_code == 200


def test_anonymous_visitors_are_sent_to_login(client, face):
    response = client.get(f"/faces/{face.pk}/image/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("web", ["uploader_web", "outsider_web"])
def test_other_roles_get_403(request, web, face):
    response = request.getfixturevalue(web).get(f"/faces/{face.pk}/image/")
    assert response.status_code == 403


def test_media_files_have_no_public_url(client, face):
    assert client.get(f"/media/{face.file}").status_code in (302, 404)
    assert client.get(f"/static/{face.file}").status_code == 404
