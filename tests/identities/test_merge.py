import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from identities.models import AuditEvent, Face, Identity, ReviewVote, SourceImage
from identities.storage import sha256_hex
from tests.factories import jpeg_bytes, make_identity, make_source_image


def face_on(photo: SourceImage, *, left: int = 0, status: str = Face.Status.PENDING, file: str = "") -> Face:
    face = Face.objects.create(
        identity=photo.identity,
        source_image=photo,
        file=file or photo.file,
        box_left=left,
        box_top=0,
        box_width=40,
        box_height=40,
        detector="mtcnn",
        phash=left,
        status=status,
    )
    photo.identity.update_face_counts()
    return face


@pytest.fixture
def group_photo():
    return jpeg_bytes(color=(10, 20, 30))


@pytest.fixture
def target(db, group_photo):
    identity = make_identity("Ada Lovelace", aliases="Countess", notes="Mathematician")
    face_on(make_source_image(identity, data=group_photo), left=0, status=Face.Status.APPROVED)
    face_on(make_source_image(identity), status=Face.Status.APPROVED)
    return identity


@pytest.fixture
def source(db, group_photo):
    identity = make_identity("Ada", aliases="A. A. Lovelace\ncountess", notes="Scraped twice")
    shared = make_source_image(identity, data=group_photo)
    face_on(shared, left=0, status=Face.Status.REJECTED, file="dropped/crop.jpg")
    face_on(shared, left=50)
    own = make_source_image(identity)
    face_on(own, left=0, status=Face.Status.APPROVED)
    face_on(own, left=50)
    return identity


def test_merge_moves_faces_and_photos_and_drops_duplicate_boxes(
    admin_web, admin, source, target, group_photo
):
    voted = source.faces.get(status=Face.Status.APPROVED)
    ReviewVote.objects.create(face=voted, reviewer=admin, decision=Face.Status.APPROVED)
    response = admin_web.post(f"/identities/{source.pk}/merge/", {"target_id": target.pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"/identities/{target.pk}/"
    assert "3 faces and 1 source images moved, 1 duplicate faces dropped" in response.content.decode()

    assert not Identity.objects.filter(pk=source.pk).exists()
    target.refresh_from_db()
    assert (target.pending_count, target.approved_count, target.rejected_count) == (2, 3, 0)
    assert target.faces.count() == 5
    assert SourceImage.objects.count() == 3 and not SourceImage.objects.exclude(identity=target).exists()
    # The shared photo is one row on the target, holding its face and the source's other box.
    shared_row = target.source_images.get(sha256=sha256_hex(group_photo))
    assert sorted(shared_row.faces.values_list("box_left", flat=True)) == [0, 50]
    assert all(face.source_image.identity_id == target.pk for face in target.faces.all())
    voted.refresh_from_db()
    assert voted.identity == target and voted.votes.count() == 1


def test_merge_adds_the_name_aliases_and_notes(admin_web, source, target):
    admin_web.post(f"/identities/{source.pk}/merge/", {"target_id": target.pk})
    target.refresh_from_db()
    assert target.name == "Ada Lovelace"
    assert target.alias_list() == ["Countess", "Ada", "A. A. Lovelace"]
    assert target.notes == "Mathematician\n\nFrom Ada: Scraped twice"


def test_merge_records_one_event_with_before_and_after(admin_web, admin, source, target):
    source_pk = source.pk
    admin_web.post(f"/identities/{source.pk}/merge/", {"target_id": target.pk})
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.target_id) == ("identity.merge", admin, target.pk)
    assert event.before["source"]["id"] == source_pk and event.before["source"]["name"] == "Ada"
    assert event.before["target"]["approved"] == 2
    assert event.after["target"]["approved"] == 3
    assert event.after["moved_faces"] == 3 and event.after["duplicate_faces_dropped"] == 1


def test_the_dropped_duplicates_file_goes_when_nothing_uses_it(
    admin_web, source, target, django_capture_on_commit_callbacks
):
    default_storage.save("dropped/crop.jpg", ContentFile(b"crop"))
    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(f"/identities/{source.pk}/merge/", {"target_id": target.pk})
    assert not default_storage.exists("dropped/crop.jpg")
    assert all(default_storage.exists(photo.file) for photo in target.source_images.all())


def test_choosing_the_target_by_name_shows_what_moves(admin_web, source, target):
    response = admin_web.get(f"/identities/{source.pk}/merge/?target=ada  LOVELACE")
    page = response.content.decode()
    assert "Merge Ada into Ada Lovelace?" in page
    assert "4 faces and 2 source images move" in page
    assert "1 of those photos is already on Ada Lovelace" in page
    assert f'name="target_id" value="{target.pk}"' in page
    assert Identity.objects.filter(pk=source.pk).exists()


def test_an_unknown_name_is_a_form_error_with_suggestions(admin_web, source, target):
    page = admin_web.get(f"/identities/{source.pk}/merge/?target=Lovelace").content.decode()
    assert "No identity is named &#x27;Lovelace&#x27;." in page
    assert 'href="?target=Ada%20Lovelace"' in page


def test_merging_into_itself_is_refused(admin_web, source):
    page = admin_web.get(f"/identities/{source.pk}/merge/?target=Ada").content.decode()
    assert "That is this identity" in page
    response = admin_web.post(f"/identities/{source.pk}/merge/", {"target_id": source.pk}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()
    assert Identity.objects.filter(pk=source.pk).exists()


def test_a_target_deleted_meanwhile_is_a_message_not_an_error(admin_web, source):
    response = admin_web.post(f"/identities/{source.pk}/merge/", {"target_id": 999999}, follow=True)
    assert "no longer exists" in response.content.decode()
    assert source.faces.count() == 4
