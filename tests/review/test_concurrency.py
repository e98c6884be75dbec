"""Many reviewers fetching and voting at once, in threads with their own database connections.

On PostgreSQL the claims race through FOR UPDATE SKIP LOCKED and row locks; on SQLite
through IMMEDIATE transactions on a file database. Either way, every face must be decided
exactly once, every vote kept, and no face handed to more reviewers than its votes need.
"""

import sys
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from facesite import roles
from identities.models import AuditEvent, Face, Identity, ReviewVote
from identities.review_services import review_batch_claim, review_vote_record
from tests.conftest import make_user
from tests.factories import lease_faces, make_identity, make_pending_faces, vote_served

REVIEWERS = 8
FACES_EACH = 30
BATCH = 5
# Enough rounds for any thread to finish; a hang fails the test instead of blocking it.
ROUNDS_MAX = 2000


def decision_for(face_id: int, reviewer_number: int) -> tuple[str, str]:
    """Deterministic, and mixed: some faces get agreeing votes, some a split."""
    if (face_id * 7 + reviewer_number) % 3:
        return "approved", ""
    return "rejected", "poor_quality"


@pytest.fixture
def threads_interleave_often():
    """Switch threads every 10 µs instead of 5 ms, so database calls overlap far more."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.django_db(transaction=True)
def test_every_face_is_decided_once_and_no_vote_is_lost(threads_interleave_often):
    identities = [make_identity("Grace Hopper"), make_identity("Ada Lovelace")]
    for identity in identities:
        make_pending_faces(identity, FACES_EACH)
    reviewers = [make_user(f"reviewer{number}", roles.REVIEWER) for number in range(REVIEWERS)]
    claims: list[tuple[int, int]] = []
    outcomes: list[tuple[int, int, bool, str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(REVIEWERS)

    def review(number: int) -> None:
        reviewer = reviewers[number]
        try:
            start.wait()
            for _ in range(ROUNDS_MAX):
                batch = review_batch_claim(reviewer=reviewer, size=BATCH)
                if not batch.faces:
                    if not Face.objects.pending().exclude(votes__reviewer=reviewer).exists():
                        return
                    # Faces other reviewers hold or are locking right now; look again shortly.
                    time.sleep(0.01)
                    continue
                claims.extend((face.pk, reviewer.pk) for face in batch.faces)
                for face in batch.faces:
                    decision, reason = decision_for(face.pk, number)
                    outcome = review_vote_record(
                        reviewer=reviewer, face_id=face.pk, decision=decision, reason=reason
                    )
                    outcomes.append((face.pk, reviewer.pk, outcome.saved, outcome.message))
            raise AssertionError(f"reviewer{number} did not finish in {ROUNDS_MAX} rounds")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(number,)) for number in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)

    faces = list(Face.objects.all())
    assert len(faces) == 2 * FACES_EACH
    assert all(face.status != Face.Status.PENDING for face in faces)

    # No face was handed out beyond the rule: no lease ran out, so every vote was still
    # needed when it arrived, and each face was claimed exactly as often as voted on.
    refused = [outcome for outcome in outcomes if not outcome[2]]
    assert refused == []
    claims_per_face = Counter(face_id for face_id, _ in claims)
    votes_per_face = Counter(ReviewVote.objects.values_list("face_id", flat=True))
    assert claims_per_face == votes_per_face
    assert len(set(claims)) == len(claims)

    # No vote was lost: every saved vote is a row, and the face's counts match its rows.
    saved = {(face_id, reviewer_id) for face_id, reviewer_id, was_saved, _ in outcomes if was_saved}
    assert saved == set(ReviewVote.objects.values_list("face_id", "reviewer_id"))

    # Each face was decided exactly once, by the side with two votes.
    decisions = Counter(
        AuditEvent.objects.filter(action__in=["face.approve", "face.reject"]).values_list(
            "target_id", flat=True
        )
    )
    for face in faces:
        votes = Counter(face.votes.values_list("decision", flat=True))
        assert decisions[face.pk] == 1
        assert (face.approve_votes, face.reject_votes) == (votes["approved"], votes["rejected"])
        assert face.status == votes.most_common(1)[0][0] and votes[face.status] == 2
        assert sum(votes.values()) in (2, 3)
    assert any(sum(votes) == 3 for votes in [(f.approve_votes, f.reject_votes) for f in faces]), "no split"

    for identity in Identity.objects.all():
        approved = identity.faces.filter(status=Face.Status.APPROVED).count()
        assert (identity.pending_count, identity.approved_count) == (0, approved)


def run_in_threads(count: int, work) -> None:
    """Run work(number, barrier) in `count` threads, each closing its connection; re-raise errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(number: int) -> None:
        try:
            work(number, barrier)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


RACES = 15


@pytest.mark.django_db(transaction=True)
def test_votes_arriving_together_decide_a_face_once(threads_interleave_often):
    """Three reviewers vote on the same face at the same instant, face after face."""
    faces = make_pending_faces(make_identity("Grace Hopper"), RACES)
    reviewers = [make_user(f"reviewer{number}", roles.REVIEWER) for number in range(3)]
    for reviewer in reviewers:
        lease_faces(reviewer, [face.pk for face in faces])
    saved: list[int] = []

    def vote(number: int, barrier: threading.Barrier) -> None:
        for face in faces:
            barrier.wait()
            outcome = review_vote_record(reviewer=reviewers[number], face_id=face.pk, decision="approved")
            if outcome.saved:
                saved.append(face.pk)

    run_in_threads(3, vote)
    assert Counter(saved) == {face.pk: 2 for face in faces}
    assert set(Face.objects.values_list("status", "approve_votes")) == {("approved", 2)}
    assert AuditEvent.objects.filter(action="face.approve").count() == RACES


@pytest.mark.django_db(transaction=True)
def test_claims_arriving_together_never_exceed_the_votes_needed(threads_interleave_often):
    """Four reviewers claim at the same instant a face that needs one more vote."""
    first = make_user("first", roles.REVIEWER)
    identities = [make_identity(f"Person {number}") for number in range(RACES)]
    for identity in identities:
        [face] = make_pending_faces(identity, 1)
        vote_served(reviewer=first, face_id=face.pk, decision="approved")
    reviewers = [make_user(f"reviewer{number}", roles.REVIEWER) for number in range(4)]
    claimed: list[int] = []

    def claim(number: int, barrier: threading.Barrier) -> None:
        for identity in identities:
            barrier.wait()
            batch = review_batch_claim(reviewer=reviewers[number], identity_id=identity.pk)
            claimed.extend(face.pk for face in batch.faces)

    run_in_threads(4, claim)
    assert Counter(claimed) == {face.pk: 1 for face in Face.objects.all()}
