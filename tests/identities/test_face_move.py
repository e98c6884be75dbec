"""An admin selects approved faces on an identity's page and moves them to another
identity: audited per face, counts refreshed; bad input changes nothing."""

import pytest

from identities.models import AuditEvent, Face, SourceImage
from tests.factories import make_face, make_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return make_identity("Ada")


@pytest.fixture
def bea():
    return make_identity("Bea", aliases="Beatrice")


def move(web, identity, faces, target_name: str, **extra):
    data = {"action": "move", "face": [face.pk for face in faces], "target": target_name, **extra}
    return web.post(f"/identities/{identity.pk}/faces/", data, follow=True)


def test_moving_faces_files_them_under_the_target_with_counts_and_audit(admin_web, admin, ada, bea):
    moved = [make_face(ada, Face.Status.APPROVED) for _ in range(2)]
    kept = make_face(ada, Face.Status.APPROVED)

    response = move(admin_web, ada, moved, "bea")

    assert "Moved 2 faces from Ada to Bea." in response.content.decode()
    for face in moved:
        face.refresh_from_db()
        assert face.identity == bea and face.status == Face.Status.APPROVED
        # The photo is now also Bea's: a row of hers sharing the stored file.
        assert face.source_image.identity == bea and face.file == face.source_image.file
    kept.refresh_from_db()
    assert kept.identity == ada
    ada.refresh_from_db()
    bea.refresh_from_db()
    assert (ada.approved_count, bea.approved_count) == (1, 2)
    events = AuditEvent.objects.filter(action="face.move")
    assert sorted(events.values_list("target_id", flat=True)) == sorted(face.pk for face in moved)
    assert events.first().before == {"identity": "Ada"} and events.first().after == {"identity": "Bea"}
    assert events.first().actor == admin


def photo_copy(photo: SourceImage, identity) -> SourceImage:
    """The same photo gathered for another identity: a second row sharing the file."""
    fields = {field.name: getattr(photo, field.name) for field in SourceImage._meta.concrete_fields}
    return SourceImage.objects.create(**{**fields, "id": None, "identity": identity})


def test_a_photo_the_target_already_has_is_reused_not_copied(admin_web, ada, bea):
    face = make_face(ada, Face.Status.APPROVED)
    theirs = photo_copy(face.source_image, bea)

    move(admin_web, ada, [face], "Bea")

    face.refresh_from_db()
    assert face.source_image == theirs
    assert SourceImage.objects.filter(identity=bea).count() == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("same", "already belong to Ada"),
        ("missing", "No identity is named"),
        ("archived", "Bea is archived"),
        ("other_identitys_face", "is not an approved face of Ada"),
        ("pending_face", "is not an approved face of Ada"),
        ("no_face", "Select some faces first."),
        ("duplicate_box", "reject it as a duplicate instead"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(admin_web, ada, bea, case, message):
    faces = [make_face(ada, Face.Status.APPROVED)]
    target = "Bea"
    if case == "same":
        target = "Ada"
    elif case == "missing":
        target = "Nobody"
    elif case == "archived":
        bea.archived = True
        bea.save(update_fields=["archived"])
    elif case == "other_identitys_face":
        faces.append(make_face(bea, Face.Status.APPROVED))
    elif case == "pending_face":
        faces.append(make_face(ada, Face.Status.PENDING))
    elif case == "no_face":
        faces = []
    elif case == "duplicate_box":
        # Bea has the same photo, and a face in the same box on it.
        make_face(bea, Face.Status.APPROVED, source_image=photo_copy(faces[0].source_image, bea))
    before = sorted(Face.objects.values_list("pk", "identity_id", "source_image_id", "status"))
    events = AuditEvent.objects.count()

    response = move(admin_web, ada, faces, target)

    assert message in response.content.decode()
    assert sorted(Face.objects.values_list("pk", "identity_id", "source_image_id", "status")) == before
    assert AuditEvent.objects.count() == events


def test_reviewers_cannot_move_faces(reviewer_web, ada, bea):
    face = make_face(ada, Face.Status.APPROVED)

    response = reviewer_web.post(
        f"/identities/{ada.pk}/faces/", {"action": "move", "face": [face.pk], "target": "Bea"}
    )

    assert response.status_code == 403
    face.refresh_from_db()
    assert face.identity == ada


def test_the_identity_page_offers_its_approved_faces_for_selection(admin_web, ada):
    face = make_face(ada, Face.Status.APPROVED)

    page = admin_web.get(f"/identities/{ada.pk}/").content.decode()

    assert f'name="face" value="{face.pk}"' in page
    assert f'action="/identities/{ada.pk}/faces/"' in page
    assert "data-identity-picker" in page
