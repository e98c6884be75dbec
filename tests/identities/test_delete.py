import pytest
from django.core.files.storage import default_storage

from identities.models import AuditEvent, Face, Identity, ReviewVote, SourceImage
from tests.factories import jpeg_bytes, make_face, make_identity, make_source_image


@pytest.fixture
def doomed(db):
    identity = make_identity("Doomed")
    photo = make_source_image(identity)
    make_face(identity, status=Face.Status.APPROVED, source_image=photo)
    second = Face.objects.create(
        identity=identity,
        source_image=photo,
        file=photo.file,
        box_left=5,
        box_top=0,
        box_width=9,
        box_height=9,
        detector="none",
        phash=1,
    )
    assert second.pk
    identity.update_face_counts()
    make_face(identity)
    make_source_image(identity, status=SourceImage.Status.NO_FACE)
    return identity


def test_the_confirmation_page_says_what_goes(admin_web, doomed):
    page = admin_web.get(f"/identities/{doomed.pk}/delete/").content.decode()
    assert "<strong>3 source images</strong>" in page
    assert "<strong>3 faces</strong>" in page
    assert Identity.objects.filter(pk=doomed.pk).exists()


def test_delete_removes_rows_and_unshared_files(admin_web, admin, doomed, django_capture_on_commit_callbacks):
    files = set(SourceImage.objects.filter(identity=doomed).values_list("file", flat=True))
    files |= set(Face.objects.filter(identity=doomed).values_list("file", flat=True))
    ReviewVote.objects.create(face=doomed.faces.first(), reviewer=admin, decision=Face.Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(f"/identities/{doomed.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/identities/"
    assert not Identity.objects.filter(pk=doomed.pk).exists()
    assert not SourceImage.objects.exists() and not Face.objects.exists() and not ReviewVote.objects.exists()
    assert files and not any(default_storage.exists(name) for name in files)
    event = AuditEvent.objects.get(action="identity.delete")
    assert event.target_id == doomed.pk and event.actor == admin
    assert event.before["name"] == "Doomed" and event.before["source_images"] == 3


def test_files_another_identity_still_uses_are_kept(admin_web, doomed, django_capture_on_commit_callbacks):
    group_photo = jpeg_bytes(color=(1, 2, 3))
    shared = make_source_image(doomed, data=group_photo)
    make_face(doomed, source_image=shared)
    other = make_identity("Other")
    kept = make_face(other, source_image=make_source_image(other, data=group_photo))
    assert kept.file == shared.file
    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(f"/identities/{doomed.pk}/delete/")
    assert default_storage.exists(shared.file)
    assert admin_web.get(f"/faces/{kept.pk}/image/").status_code == 200


def test_files_stay_until_the_transaction_commits(admin_web, doomed, django_capture_on_commit_callbacks):
    files = list(SourceImage.objects.filter(identity=doomed).values_list("file", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_web.post(f"/identities/{doomed.pk}/delete/")
    # The deletion of unshared files is among the callbacks waiting for the commit.
    assert callbacks
    assert all(default_storage.exists(name) for name in files if name)
