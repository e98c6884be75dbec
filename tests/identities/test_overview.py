from identities.models import AuditEvent, Face, SourceImage
from tests.factories import make_face, make_identity, make_source_image


def test_totals_ready_identities_and_recent_activity(admin_web, admin, db):
    ready = make_identity("Ada Lovelace", approved_count=31)
    make_identity("Alan Turing", approved_count=29)
    make_identity("Archived Ready", approved_count=80, archived=True)
    grace = make_identity("Grace Hopper")
    make_face(grace, status=Face.Status.PENDING)
    make_face(grace, status=Face.Status.REJECTED)
    make_source_image(grace, status=SourceImage.Status.NO_FACE)
    for number in range(20):
        AuditEvent.record(
            actor=admin, action="identity.update", target=ready, after={"notes": f"note {number}"}
        )
    response = admin_web.get("/")
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (
        totals["identities"] == 4 and totals["archived_identities"] == 1 and totals["ready_identities"] == 1
    )
    assert (totals["pending_faces"], totals["approved_faces"], totals["rejected_faces"]) == (1, 140, 1)
    assert (totals["source_images"], totals["failed_source_images"]) == (3, 1)
    assert [identity.name for identity in response.context["ready_identities"]] == ["Ada Lovelace"]
    page = response.content.decode()
    assert page.count("identity.update") == 15
    assert "note 19" in page and "note 4" not in page


def test_management_links_only_for_admins(reviewer_web, db):
    page = reviewer_web.get("/").content.decode()
    assert 'href="/identities/"' not in page and 'href="/audit/"' not in page


def test_admins_see_management_links(admin_web, db):
    page = admin_web.get("/").content.decode()
    assert 'href="/identities/"' in page and 'href="/identities/new/"' in page and 'href="/audit/"' in page
