from tests.datasets.builders import build, make_approved, manifest


def test_same_faces_and_seed_give_the_same_manifest_and_another_seed_does_not(db):
    make_approved("Ann", 40)
    make_approved("Bob", 25)
    first = build(min_faces=10, per_identity=30, seed=7)
    again = build(min_faces=10, per_identity=30, seed=7)
    other = build(min_faces=10, per_identity=30, seed=8)
    assert manifest(first) == manifest(again)
    assert manifest(first) != manifest(other)
    assert again.summary["diff"]["faces_added"] == again.summary["diff"]["faces_removed"] == 0
