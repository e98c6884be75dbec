"""Signals other apps listen to, so identities never imports them.

`faces_changed` is sent once a transaction that changed which faces are approved, or
whose they are, has committed; the recognition app keeps its gallery in step with it.
`reason` says what happened: "decided" (approved, rejected or overridden), "imported"
(faces stored already approved), "pending" (crops stored for review), "merged",
"moved" (faces filed under another identity), "deleted" or "archived". Merges and moves
also name, as `identity_ids`, the identities whose faces changed (the merge's target;
the move's source and target).
"""

from functools import partial

from django.db import transaction
from django.dispatch import Signal

faces_changed = Signal()


def faces_changed_on_commit(reason: str, identity_ids: list[int] | None = None) -> None:
    """Send faces_changed after the current transaction commits (at once outside one).

    Robust, so a listener that fails is logged and never fails the request or job
    whose change has already been saved.
    """
    send = partial(faces_changed.send_robust, sender=None, reason=reason, identity_ids=identity_ids or [])
    transaction.on_commit(send, robust=True)


# Sent inside the transaction that moves faces from one identity to another, with the
# moved faces' ids as `face_ids`: a receiver's writes commit or roll back with the move.
# Recognition re-files the faces' gallery rows, which name no identity of their own, so
# that every process's copy of the gallery sees the rows change.
faces_moved = Signal()
