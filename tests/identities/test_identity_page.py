import pytest

from identities.models import AuditEvent, Face, SourceImage
from tests.factories import make_face, make_identity, make_pending_faces, make_source_image


@pytest.fixture
def identity(db):
    identity = make_identity("Ada Lovelace", aliases="Countess\nA. King", notes="Wrote the first program")
    return identity


def test_shows_the_identity_and_its_actions(admin_web, identity):
    page = admin_web.get(f"/identities/{identity.pk}/").content.decode()
    assert "<h1>Ada Lovelace</h1>" in page
    assert "Countess, A. King" in page and "Wrote the first program" in page
    for action in ("edit", "merge", "archive", "delete"):
        assert f'"/identities/{identity.pk}/{action}/"' in page


def test_tabs_show_faces_by_status_with_reasons_and_source_links(admin_web, identity):
    approved = make_face(identity, status=Face.Status.APPROVED)
    rejected = make_face(identity, status=Face.Status.REJECTED, reason=Face.Reason.WRONG_PERSON)
    default_tab = admin_web.get(f"/identities/{identity.pk}/").content.decode()
    assert f'src="/faces/{approved.pk}/image/"' in default_tab
    assert f'src="/faces/{rejected.pk}/image/"' not in default_tab
    rejected_tab = admin_web.get(f"/identities/{identity.pk}/?status=rejected").content.decode()
    assert f'src="/faces/{rejected.pk}/image/"' in rejected_tab
    assert "Wrong person" in rejected_tab
    assert f'href="/sources/{rejected.source_image_id}/image/"' in rejected_tab
    assert (
        'class="current" aria-current="page">Rejected <span class="badge rejected">1</span>' in rejected_tab
    )


def test_the_gallery_pages_sixty_at_a_time(admin_web, identity):
    make_pending_faces(identity, 65)
    first = admin_web.get(f"/identities/{identity.pk}/?status=pending").content.decode()
    assert first.count('src="/faces/') == 60
    assert 'href="?status=pending&amp;page=2"' in first
    second = admin_web.get(f"/identities/{identity.pk}/?status=pending&page=2").content.decode()
    assert second.count('src="/faces/') == 5


def test_lists_failed_source_images_with_reasons(admin_web, identity):
    make_source_image(
        identity,
        status=SourceImage.Status.NO_FACE,
        error="No face was found.",
        origin_detail="/photos/empty.jpg",
    )
    make_source_image(identity, status=SourceImage.Status.INVALID, file="", error="File is not an image.")
    make_source_image(identity, origin_detail="/photos/fine.jpg")
    page = admin_web.get(f"/identities/{identity.pk}/").content.decode()
    assert "No face was found." in page and "File is not an image." in page
    assert "/photos/empty.jpg" in page
    assert "/photos/fine.jpg" not in page


def test_shows_recent_audit_events(admin_web, admin, identity):
    AuditEvent.record(
        actor=admin,
        action="identity.rename",
        target=identity,
        before={"name": "Ada"},
        after={"name": "Ada Lovelace"},
    )
    page = admin_web.get(f"/identities/{identity.pk}/").content.decode()
    assert "identity.rename" in page and "Ada → Ada Lovelace" in page


def test_a_missing_identity_is_404(admin_web, db):
    assert admin_web.get("/identities/424242/").status_code == 404


def test_an_identity_without_approved_faces_opens_on_its_pending_ones(admin_web, identity):
    pending = make_face(identity)
    page = admin_web.get(f"/identities/{identity.pk}/").content.decode()
    assert f'src="/faces/{pending.pk}/image/"' in page
