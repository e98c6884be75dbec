"""Fetching a batch and recording a vote cost the same queries however many faces there are."""

import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from facesite import roles
from tests.conftest import make_user
from tests.factories import make_identities_with_faces


def queries_for_fetch_and_vote(username: str, position: int) -> tuple[int, int]:
    """Fetch a batch, then vote on the face at `position` in it, one no one else voted on."""
    client = Client()
    client.force_login(make_user(username, roles.REVIEWER))
    with CaptureQueriesContext(connection) as fetch:
        content = client.get("/review/batch/").content.decode()
    face_ids = [int(part.split('"')[0]) for part in content.split('data-face-id="')[1:]]
    face_id = face_ids[position]
    body = json.dumps({"operations": [{"face": face_id, "action": "approved", "reason": ""}]})
    with CaptureQueriesContext(connection) as vote:
        assert client.post("/review/decisions/", body, content_type="application/json").status_code == 200
    return len(fetch.captured_queries), len(vote.captured_queries)


def test_fetching_and_voting_cost_the_same_queries_at_any_data_size(db):
    make_identities_with_faces(2, faces_each=30)
    small = queries_for_fetch_and_vote("first", position=0)
    make_identities_with_faces(200, faces_each=30)
    assert queries_for_fetch_and_vote("second", position=-1) == small
    fetch_queries, vote_queries = small
    # Session, user, permissions (2), then the claim, its faces and the reference strip.
    assert fetch_queries <= 16 and vote_queries <= 13
