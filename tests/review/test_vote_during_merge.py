"""A deciding vote and a merge of the face's identity, at the same moment, both succeed.

A merge locks the two identities and then updates their faces; a vote locks its face.
If the vote then waited for the identity's row (to recount it) while still holding the
face, the two would deadlock on PostgreSQL. The vote recounts only after its commit.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from facesite import roles
from identities.models import Face, Identity
from identities.services import identity_merge
from tests.conftest import make_user
from tests.factories import make_identity, make_pending_faces, vote_served

WAIT_SECONDS = 20


def another_transaction_waits_for_a_lock() -> None:
    """Return once another connection waits for a row lock (PostgreSQL); on SQLite a
    second writer can only wait at BEGIN, which a short pause lets it reach."""
    if connection.vendor != "postgresql":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + WAIT_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Within a transaction the activity view is a snapshot unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the vote never waited for the merge")


@pytest.mark.django_db(transaction=True)
def test_a_deciding_vote_during_a_merge_of_its_identity_does_not_deadlock(admin, rq_queues):
    grace, ada = make_identity("Grace Hopper"), make_identity("Ada Lovelace")
    face = make_pending_faces(grace, 3)[0]
    rob, sam = make_user("rob", roles.REVIEWER), make_user("sam", roles.REVIEWER)
    assert vote_served(reviewer=rob, face_id=face.pk, decision="approved").saved
    errors: list[BaseException] = []
    outcomes = []
    merge_holds_identities = threading.Event()

    def vote() -> None:
        try:
            merge_holds_identities.wait(WAIT_SECONDS)
            outcomes.append(vote_served(reviewer=sam, face_id=face.pk, decision="approved"))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def merge() -> None:
        try:
            with transaction.atomic():
                # A merge's first step, held while the deciding vote runs into it.
                list(Identity.objects.select_for_update().filter(pk__in=[grace.pk, ada.pk]).order_by("pk"))
                merge_holds_identities.set()
                another_transaction_waits_for_a_lock()
                identity_merge(source=grace, target=ada, actor=admin)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote), threading.Thread(target=merge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert outcomes and outcomes[0].saved
    face.refresh_from_db()
    assert (face.status, face.identity_id) == (Face.Status.APPROVED, ada.pk)
    ada.refresh_from_db()
    assert (ada.pending_count, ada.approved_count) == (2, 1)
    assert not Identity.objects.filter(pk=grace.pk).exists()
