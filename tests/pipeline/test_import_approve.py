from identities.models import AuditEvent, Face, Identity


def test_approve_creates_approved_faces_each_with_an_audit_event(photo_folder, import_faces):
    import_faces(photo_folder, "--approve")

    faces = Face.objects.all()
    assert faces.count() == 6
    assert all(face.status == Face.Status.APPROVED and face.decided_at for face in faces)
    events = AuditEvent.objects.filter(action="face.approve")
    assert sorted(events.values_list("target_id", flat=True)) == sorted(face.pk for face in faces)
    for event in events:
        assert event.actor is None
        assert event.target_type == "identities.face"
        assert event.after == {"status": "approved", "via": "import"}
    assert Identity.objects.get(name="Jane Doe").approved_count == 3


def test_approve_leaves_too_small_faces_rejected(photo_folder, import_faces, settings):
    settings.FACESITE_MIN_FACE_SIZE = 120

    import_faces(photo_folder, "--approve")

    rejected = Face.objects.filter(status=Face.Status.REJECTED)
    assert rejected.exists()
    assert not AuditEvent.objects.filter(action="face.approve", target_id__in=rejected.values("pk")).exists()
    assert Face.objects.filter(status=Face.Status.APPROVED).count() == 6 - rejected.count()


def test_without_approve_faces_wait_for_review(photo_folder, import_faces):
    import_faces(photo_folder)

    assert set(Face.objects.values_list("status", flat=True)) == {Face.Status.PENDING}
    assert not Face.objects.filter(decided_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="face.approve").exists()
