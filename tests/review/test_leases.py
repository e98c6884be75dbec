"""Faces are handed out under leases: no more reviewers at once than the votes a face needs."""

from identities import review_services
from identities.models import Face, ReviewLease
from identities.review_services import review_batch_claim, review_vote_record
from tests.factories import make_identity, make_pending_faces


def claimed_ids(reviewer, **options) -> list[int]:
    return [face.pk for face in review_batch_claim(reviewer=reviewer, **options).faces]


def test_a_batch_is_one_identity_in_id_order_each_face_leased(reviewer, grace, pending_faces, clock):
    batch = review_batch_claim(reviewer=reviewer, now=clock.now)
    assert batch.identity == grace
    assert [face.pk for face in batch.faces] == sorted(face.pk for face in pending_faces)
    leases = ReviewLease.objects.filter(reviewer=reviewer)
    assert leases.count() == 6
    assert {lease.expires_at for lease in leases} == {clock.after(300)} == {batch.expires_at}


def test_two_reviewers_share_faces_needing_two_votes_a_third_gets_none(
    reviewer, rob, sam, pending_faces, clock
):
    first = claimed_ids(reviewer, now=clock.now)
    assert claimed_ids(rob, now=clock.now) == first
    assert claimed_ids(sam, now=clock.now) == []


def test_a_face_with_one_vote_goes_to_one_more_reviewer_only(reviewer, rob, sam, pending_faces, clock):
    face = pending_faces[0]
    review_batch_claim(reviewer=reviewer, now=clock.now)
    review_vote_record(reviewer=reviewer, face_id=face.pk, decision="approved", now=clock.now)
    assert face.pk in claimed_ids(rob, now=clock.now)
    # Rob's lease covers the one vote the face still needs.
    assert face.pk not in claimed_ids(sam, now=clock.now)


def test_an_expired_lease_returns_the_face_to_the_pool(reviewer, rob, sam, pending_faces, clock):
    claimed_ids(reviewer, now=clock.now)
    claimed_ids(rob, now=clock.now)
    assert claimed_ids(sam, now=clock.after(299)) == []
    assert len(claimed_ids(sam, now=clock.after(301))) == 6


def test_a_reviewers_own_expired_lease_is_renewed_in_place(reviewer, pending_faces, clock):
    first = claimed_ids(reviewer, now=clock.now)
    assert claimed_ids(reviewer, now=clock.after(400)) == first
    leases = ReviewLease.objects.filter(reviewer=reviewer)
    assert leases.count() == 6 and {lease.expires_at for lease in leases} == {clock.after(700)}


def test_the_lease_length_comes_from_settings(settings, reviewer, pending_faces, clock):
    settings.FACESITE_REVIEW_LEASE_SECONDS = 60
    assert review_batch_claim(reviewer=reviewer, now=clock.now).expires_at == clock.after(60)


def test_a_reload_shows_the_same_undecided_faces_with_leases_renewed(reviewer, pending_faces, clock):
    first = claimed_ids(reviewer, size=4, now=clock.now)
    again = review_batch_claim(reviewer=reviewer, size=4, now=clock.after(100))
    assert [face.pk for face in again.faces] == first
    assert set(ReviewLease.objects.filter(reviewer=reviewer).values_list("expires_at", flat=True)) == {
        clock.after(400)
    }


def test_faces_with_decisions_on_their_way_are_not_served_again(reviewer, pending_faces, clock):
    first = claimed_ids(reviewer, size=3, now=clock.now)
    assert set(claimed_ids(reviewer, exclude_face_ids=first, now=clock.now)).isdisjoint(first)


def test_a_reviewer_never_gets_a_face_they_voted_on(reviewer, pending_faces, clock):
    for face_id in claimed_ids(reviewer, now=clock.now):
        review_vote_record(reviewer=reviewer, face_id=face_id, decision="approved", now=clock.now)
    assert claimed_ids(reviewer, now=clock.after(1000)) == []


def test_the_preferred_identity_comes_first_then_the_pool(reviewer, grace, pending_faces, clock):
    later = make_identity("Ada Lovelace")
    later_faces = make_pending_faces(later, 2)
    batch = review_batch_claim(reviewer=reviewer, prefer_identity_id=later.pk, now=clock.now)
    assert batch.identity == later and len(batch.faces) == 2
    assert (
        review_batch_claim(reviewer=reviewer, exclude_face_ids=[f.pk for f in later_faces]).identity == grace
    )


def test_after_the_identity_on_the_page_the_pool_goes_on_to_the_next_then_wraps(
    reviewer, rob, grace, pending_faces, clock
):
    finished = make_identity("Ada Lovelace")
    Face.objects.filter(pk__in=[face.pk for face in make_pending_faces(finished, 2)]).update(
        status="approved"
    )
    after = make_identity("Zed Zebra")
    make_pending_faces(after, 2)
    # Grace's faces come first in id order and still need votes, but the pool looks past
    # the finished page's faces first.
    assert (
        review_batch_claim(reviewer=reviewer, prefer_identity_id=finished.pk, now=clock.now).identity == after
    )
    # Nothing after Zed: the pool starts again from the beginning.
    assert (
        review_batch_claim(
            reviewer=rob,
            prefer_identity_id=after.pk,
            exclude_face_ids=[face.pk for face in after.faces.all()],
            now=clock.now,
        ).identity
        == grace
    )


def test_with_nothing_left_in_the_preferred_identity_held_crops_come_before_the_pool(
    reviewer, grace, pending_faces, clock
):
    held = claimed_ids(reviewer, now=clock.now)
    finished = make_identity("Ada Lovelace")
    make_pending_faces(make_identity("Zed Zebra"), 2)
    batch = review_batch_claim(reviewer=reviewer, prefer_identity_id=finished.pk, now=clock.after(60))
    assert batch.identity == grace and [face.pk for face in batch.faces] == held
    assert batch.expires_at == clock.after(360)


def test_filters_by_identity_source_and_detector(reviewer, grace, pending_faces, clock):
    other = make_identity("Ada Lovelace")
    from_urls = make_pending_faces(other, 2, origin="url")
    by_haar = make_pending_faces(other, 2, detector="haar")
    assert claimed_ids(reviewer, identity_id=other.pk, origin="url", now=clock.now) == [
        f.pk for f in from_urls
    ]
    assert claimed_ids(reviewer, detector="haar", now=clock.now) == [f.pk for f in by_haar]
    assert claimed_ids(reviewer, detector="mtcnn", now=clock.now) == []


def test_decided_faces_are_never_served(reviewer, grace, clock):
    make_pending_faces(grace, 2)
    Face.objects.update(status=Face.Status.APPROVED)
    batch = review_batch_claim(reviewer=reviewer, identity_id=grace.pk, now=clock.now)
    assert batch.faces == [] and batch.identity == grace


def test_a_stale_read_of_candidates_is_caught_after_locking(monkeypatch, reviewer, rob, sam, pending_faces):
    """On PostgreSQL the read that picks candidates can predate another claim's commit;
    the read made after locking them is the one that decides."""
    claimed_ids(reviewer)
    claimed_ids(rob)
    # As if the candidates had been read before both leases were committed.
    monkeypatch.setattr(
        review_services, "_candidates_lock", lambda claimable, **options: [f.pk for f in pending_faces]
    )
    assert claimed_ids(sam) == []


def test_archived_identities_are_served_only_when_asked_for(reviewer, clock):
    archived = make_identity("Ada Lovelace", archived=True)
    make_pending_faces(archived, 2)
    assert claimed_ids(reviewer, now=clock.now) == []
    assert len(claimed_ids(reviewer, identity_id=archived.pk, now=clock.now)) == 2
