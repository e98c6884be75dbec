from identities.models import Face
from identities.services import identity_delete
from tests.datasets.builders import build, faces_approve, make_approved


def test_a_new_build_says_what_changed_since_the_last_ready_version(db, admin):
    ann = make_approved("Ann", 10)
    gone = make_approved("Gone", 10)
    first = build(min_faces=5, per_identity=20)
    assert first.summary["diff"] is None and first.previous is None

    identity_delete(identity=gone, actor=admin)
    make_approved("New", 6)
    Face.objects.filter(pk=ann.faces.order_by("pk").first().pk).update(status=Face.Status.REJECTED)
    faces_approve(ann, 3)
    second = build(min_faces=5, per_identity=20)

    assert second.previous == first
    assert second.summary["diff"] == {
        "previous_id": first.pk,
        "identities_added": ["New"],
        "identities_removed": ["Gone"],
        "faces_added": 6 + 3,
        "faces_removed": 10 + 1,
    }
