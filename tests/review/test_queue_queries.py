"""Fetching a batch and recording a vote cost the same few queries however many faces there are."""

import json

import pytest
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from facesite import roles
from identities.models import Face, Identity
from tests.conftest import make_user
from tests.factories import make_identities_with_faces


def reviewer_client(username: str) -> Client:
    client = Client()
    client.force_login(make_user(username, roles.REVIEWER))
    return client


def batch_face_ids(client: Client) -> list[int]:
    content = client.post("/review/batch/").content.decode()
    return [int(part.split('"')[0]) for part in content.split('data-face-id="')[1:]]


def vote(client: Client, face_id: int) -> None:
    body = json.dumps({"operations": [{"face": face_id, "action": "approved", "reason": ""}]})
    response = client.post("/review/decisions/", body, content_type="application/json")
    assert response.json()["results"][0]["saved"]


def queries_of(request, *args) -> int:
    """The queries one request runs. Each request empties the connection's query log as it
    starts, so the log is emptied first and counted before the next request."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        request(*args)
    return len(captured.captured_queries)


def queries_for_fetch_and_vote(username: str, position: int) -> tuple[int, int]:
    """Fetch a batch, then vote on the face at `position` in it, one no one else voted on."""
    client = reviewer_client(username)
    face_ids: list[int] = []
    fetch_queries = queries_of(lambda: face_ids.extend(batch_face_ids(client)))
    return fetch_queries, queries_of(vote, client, face_ids[position])


def test_fetching_and_voting_cost_the_same_queries_at_any_data_size(db):
    make_identities_with_faces(2, faces_each=30)
    small = queries_for_fetch_and_vote("first", position=0)
    make_identities_with_faces(200, faces_each=30)
    assert queries_for_fetch_and_vote("second", position=-1) == small
    fetch_queries, vote_queries = small
    # Both: session, user, permissions (one query), and a transaction's two statements.
    # Fetch: the reviewer's own leases, the identity with work, the candidates with their
    # rows (on PostgreSQL: locking them, then re-reading them), the new leases, the
    # reference strip.
    # Vote: the face's lock, its votes, the vote, its audit event, the tally, the lease.
    assert fetch_queries <= 11 and vote_queries <= 11


def test_a_deciding_vote_adds_the_decision_and_the_identity_recount(db):
    make_identities_with_faces(2, faces_each=30)
    first, second = reviewer_client("first"), reviewer_client("second")
    face_id = batch_face_ids(first)[0]
    vote(first, face_id)
    assert face_id in batch_face_ids(second)
    deciding_queries = queries_of(vote, second, face_id)
    assert Face.objects.get(pk=face_id).status == Face.Status.APPROVED
    # The vote's 11 (freeing every lease instead of the reviewer's), the decision's audit
    # event, and the identity's lock, count and update: on PostgreSQL in a transaction (2)
    # after the commit, on SQLite inside the decision's.
    assert deciding_queries <= 17


def test_assistance_costs_no_extra_query_when_every_face_is_scored(db, settings):
    from identities.models import FaceAssessment
    from tests.review.assessments import assess

    settings.FACESITE_REVIEW_ASSIST = "off"
    make_identities_with_faces(2, faces_each=30)
    without = queries_for_fetch_and_vote("first", position=0)
    for number, face in enumerate(Face.objects.pending().exclude(assessment__isnull=False).order_by("pk")):
        assess(face, list(FaceAssessment.BAND_RANKS)[number % 4], blind=number % 7 == 0)
    # Each votes on a crop "likely not a face" (shown first) that nobody voted on, so
    # that the vote decides nothing, as without assistance.
    for mode, position in (("suggest", 0), ("trust", 1)):
        settings.FACESITE_REVIEW_ASSIST = mode
        assert queries_for_fetch_and_vote(f"reviewer-{mode}", position=position) == without


@pytest.mark.django_db(transaction=True)
def test_a_deciding_vote_on_sqlite_recounts_its_identity_in_one_transaction():
    """SQLite has no row locks, so a decision recounts its identity under the write lock it
    holds already, rather than queueing for the lock again after its commit."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL recounts after the commit, not to wait for a merge's identity lock.")
    make_identities_with_faces(1, faces_each=5)
    first, second = reviewer_client("first"), reviewer_client("second")
    face_id = batch_face_ids(first)[0]
    vote(first, face_id)
    assert face_id in batch_face_ids(second)

    with CaptureQueriesContext(connection) as captured:
        vote(second, face_id)

    statements = [query["sql"] for query in captured.captured_queries]
    decision = statements[: statements.index("COMMIT")]
    assert any(sql.startswith('UPDATE "identities_face"') for sql in decision)
    assert any(sql.startswith('UPDATE "identities_identity"') for sql in decision)
    assert sum(sql.startswith('UPDATE "identities_identity"') for sql in statements) == 1
    identity = Identity.objects.get()
    assert (identity.pending_count, identity.approved_count) == (4, 1)
