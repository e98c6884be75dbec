"""The audit log names a face by its identity's name, not by the identity's id."""

from identities.models import AuditEvent
from tests.factories import make_face, make_identity


def test_a_face_event_names_the_person(admin_web, admin):
    jane = make_identity("Jane Doe")
    face = make_face(jane)
    AuditEvent.record(actor=admin, action="review.override", target=face, after={"status": "approved"})
    # Recorded by an older version, which wrote the identity's id into the label.
    AuditEvent.objects.create(
        actor=admin,
        action="review.vote",
        target_type="identities.face",
        target_id=face.pk,
        target_label=f"Face {face.pk} of {jane.pk} (pending)",
    )

    page = admin_web.get("/audit/").content.decode()

    assert page.count(f"Face {face.pk} of Jane Doe (pending)") == 2
    assert f"Face {face.pk} of {jane.pk}" not in page
