"""Moving and rejecting approved faces from an identity's pages updates the gallery, and
the curation page lists an identity's faces farthest from its core first (the gallery is
rows only: tests/recognition/gallery_rows.py)."""

import numpy as np
import pytest

from identities.models import AuditEvent, Face
from identities.signals import faces_changed
from recognition.gallery.cache import EMBEDDER, gallery_matrix
from recognition.gallery.sync import gallery_sync
from recognition.models import FaceEmbedding

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_gallery_clock")]


def rows_of(identity_id: int) -> np.ndarray:
    matrix = gallery_matrix()
    return matrix.vectors[matrix.identity_ids == identity_id]


def vector_of(face: Face) -> np.ndarray:
    return np.frombuffer(FaceEmbedding.objects.get(face=face, embedder=EMBEDDER).vector, dtype=np.float32)


def test_moving_a_face_moves_its_gallery_row_in_every_process(admin_web, people):
    ada, bea, bystander = people["ada"], people["bea"], people["bystander"]
    assert len(rows_of(ada.pk)) == 4 and len(rows_of(bea.pk)) == 3
    signature = gallery_matrix().signature

    response = admin_web.post(
        f"/identities/{ada.pk}/faces/", {"action": "move", "face": [bystander.pk], "target": "Bea"}
    )

    assert response.status_code == 302
    # The signature other processes check changed with the move, so they reload too.
    assert gallery_matrix().signature != signature
    assert len(rows_of(ada.pk)) == 3 and len(rows_of(bea.pk)) == 4
    assert any(np.allclose(row, vector_of(bystander)) for row in rows_of(bea.pk))
    assert not any(np.allclose(row, vector_of(bystander)) for row in rows_of(ada.pk))


def test_rejecting_faces_from_the_page_overrides_each_and_the_gallery_job_drops_them(
    admin_web, admin, people, django_capture_on_commit_callbacks
):
    ada = people["ada"]
    rejected = [people["bystander"], people["ada_faces"][0]]
    reasons = []
    faces_changed.connect(
        lambda sender, reason, **kwargs: reasons.append(reason), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_web.post(
                f"/identities/{ada.pk}/faces/",
                {"action": "reject", "face": [face.pk for face in rejected], "reason": "wrong_person"},
                follow=True,
            )
    finally:
        faces_changed.disconnect(dispatch_uid="t")

    assert "Rejected 2 faces of Ada." in response.content.decode()
    for face in rejected:
        face.refresh_from_db()
        assert (face.status, face.reason) == (Face.Status.REJECTED, Face.Reason.WRONG_PERSON)
    events = AuditEvent.objects.filter(action="face.override", target_id__in=[face.pk for face in rejected])
    assert events.count() == 2 and {event.actor for event in events} == {admin}
    ada.refresh_from_db()
    assert (ada.approved_count, ada.rejected_count) == (2, 2)
    # The decision is what starts the gallery job; the job removes the rows.
    assert "decided" in reasons
    gallery_sync()
    assert len(rows_of(ada.pk)) == 2


def test_a_face_of_another_identity_refuses_the_whole_rejection(admin_web, people):
    ada, bea_face = people["ada"], people["bea_faces"][0]

    response = admin_web.post(
        f"/identities/{ada.pk}/faces/",
        {"action": "reject", "face": [people["bystander"].pk, bea_face.pk], "reason": "wrong_person"},
        follow=True,
    )

    assert f"Face {bea_face.pk} is not an approved face of Ada" in response.content.decode()
    assert not Face.objects.filter(status=Face.Status.REJECTED).exists()


def test_the_curation_page_lists_faces_farthest_from_the_core_first(admin_web, people):
    ada = people["ada"]

    response = admin_web.get(f"/identities/{ada.pk}/curate/")

    page = response.context["page"]
    distances = [ranked.distance for ranked in page]
    assert distances == sorted(distances, reverse=True)
    # The bystander (Bea's face filed under Ada) is the farthest from Ada's core.
    assert page[0].face_id == people["bystander"].pk
    assert {ranked.face_id for ranked in page} == {
        people["bystander"].pk,
        *(f.pk for f in people["ada_faces"]),
    }
    content = response.content.decode()
    assert f'action="/identities/{ada.pk}/faces/"' in content
    assert f'name="face" value="{people["bystander"].pk}"' in content


def test_the_curation_page_is_for_admins(reviewer_web, people):
    assert reviewer_web.get(f"/identities/{people['ada'].pk}/curate/").status_code == 403
