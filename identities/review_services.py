"""The review queue's writes: faces handed out under leases, votes, undos, consensus, overrides.

Why no race can make a face's status wrong:

- Every write that depends on a face's votes or leases (a claim, a vote, an undo, an
  override) first locks that face's row, and then reads. On PostgreSQL the lock is
  SELECT ... FOR UPDATE (a claim uses SKIP LOCKED, so reviewers never queue behind each
  other); on SQLite every transaction is IMMEDIATE (see settings), so writers run one at
  a time and a read inside a transaction is always the latest state.
- A claim re-reads the locked faces' votes and leases in a statement that starts after
  the locks are held, so it never leases a face on a stale count.
- A face is decided by tally_votes() under its lock and only while pending, so a status
  is written once by consensus; later votes on it are refused with a message.
- No transaction holding a face's lock waits for its identity's row, which a merge locks
  before the faces: a decision recounts its identity after its commit (on SQLite, which
  has no row locks, inside it: see _identity_counts_refresh).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, Max, Min, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from facesite.errors import FacesiteError
from identities.models import AuditEvent, Face, FaceAssessment, Identity, ReviewLease, ReviewVote
from identities.signals import faces_changed_on_commit

BATCH_SIZE = 24
# Rounds of locking candidates when some fail the re-check, and identities tried.
_CLAIM_ATTEMPTS = 3
# The reasons a reviewer picks after R, by the digit that picks them.
REJECT_REASONS = {
    "1": Face.Reason.WRONG_PERSON,
    "2": Face.Reason.NOT_A_FACE,
    "3": Face.Reason.POOR_QUALITY,
    "4": Face.Reason.DUPLICATE,
}
DECISIONS = (Face.Status.APPROVED, Face.Status.REJECTED)
# The audit action a consensus decision is recorded under, as the importer records approvals.
_DECISION_ACTIONS = {Face.Status.APPROVED: "face.approve", Face.Status.REJECTED: "face.reject"}


def assist_mode() -> str:
    """FACESITE_REVIEW_ASSIST: "off", "suggest" or "trust" (see settings)."""
    return settings.FACESITE_REVIEW_ASSIST


def _review_order() -> tuple:
    """The order crops of one identity are handed out in: with assistance, by band (most
    suspicious first; a blind check ranks as "needs a look") and score, unscored last."""
    if assist_mode() == "off":
        return ("pk",)
    return (F("assessment__rank").asc(nulls_last=True), "assessment__core_score", "pk")


def _review_sort_key(face: Face) -> tuple:
    """_review_order() for faces in memory (loaded with their assessment)."""
    assessment = getattr(face, "assessment", None) if assist_mode() != "off" else None
    if assessment is None:
        return (len(FaceAssessment.BAND_RANKS), 0.0, face.pk)
    return (assessment.rank, assessment.core_score, face.pk)


@dataclass
class ReviewBatch:
    """The faces of one identity leased to a reviewer, and when the leases end."""

    identity: Identity | None
    faces: list[Face] = field(default_factory=list)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ReviewOutcome:
    """What became of one decision sent from the review page."""

    face_id: int
    saved: bool
    status: str = ""
    message: str = ""

    @classmethod
    def face_deleted(cls, face_id: int) -> "ReviewOutcome":
        return cls(face_id, saved=False, message=f"Face {face_id} was deleted.")

    def as_json(self) -> dict:
        return {"face": self.face_id, "saved": self.saved, "status": self.status, "message": self.message}


def _decision_check(decision: str, reason: str) -> None:
    if decision not in DECISIONS:
        raise FacesiteError(f"Unknown decision {decision!r}; use approved or rejected.")
    if decision == Face.Status.REJECTED and reason not in REJECT_REASONS.values():
        raise FacesiteError("A rejection needs a reason: wrong person, not a face, poor quality, duplicate.")
    if decision == Face.Status.APPROVED and reason:
        raise FacesiteError("An approval takes no reason.")


@contextmanager
def face_locked(face_id: int, *, lease_of=None) -> Iterator[Face | None]:
    """Start a transaction, lock the face's row in it, and yield the face (None if deleted).

    Only the face row is locked: a claim, vote, undo or override of the same face waits
    here. Never its identity's row as well: see _identity_counts_refresh(). The
    transaction commits when the block ends, a return inside it included. With lease_of,
    the face's `leased` says whether that reviewer holds a lease on it, read in the same query.
    """
    faces = Face.objects.select_for_update().filter(pk=face_id)
    if assist_mode() == "trust":
        faces = faces.annotate(trusted=FaceAssessment.trusted())
    if lease_of is not None:
        faces = faces.annotate(
            leased=Exists(ReviewLease.objects.filter(face=OuterRef("pk"), reviewer=lease_of))
        )
    with transaction.atomic():
        yield faces.first()


def _commit_without_disk_wait() -> None:
    """Let this transaction's COMMIT return before its record reaches the disk (PostgreSQL).

    Only for transactions that write what the queue can lose: leases and stored counts.
    A crash may lose the last few of them (a face returns to the pool, a count waits for
    the next recount), never a vote or a decision: those commit normally, and PostgreSQL
    writes its log in order, so a later normal commit flushes the earlier ones too.
    Only in an outermost transaction: a caller's enclosing one keeps its own rule.
    """
    if connection.vendor == "postgresql" and not connection.savepoint_ids:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _filtered(faces: QuerySet[Face], *, origin: str, detector: str) -> QuerySet[Face]:
    if origin:
        faces = faces.filter(source_image__origin=origin)
    if detector:
        faces = faces.filter(detector=detector)
    return faces


def _identity_with_work(
    claimable: QuerySet[Face], *, origin: str, detector: str, exclude: set[int], after: int | None
) -> int | None:
    """The identity of the first face, in id order, the reviewer could take, looking past
    the faces of `after` (the identity on their page) before starting from the first face;
    archived identities wait until someone asks for them by name.

    Looking past the page keeps the search short. The faces a reviewer voted on stay
    pending until others vote, and a search from the first face steps over each of them:
    a reviewer a day ahead of the team paid for thousands on every batch.
    """
    faces = claimable.filter(identity__archived=False).exclude(pk__in=exclude)
    identity_ids = (
        _filtered(faces, origin=origin, detector=detector)
        .order_by("pk")
        .values_list("identity_id", flat=True)
    )
    if after is not None:
        # Grouped, so PostgreSQL reads the identity's few faces rather than walking the
        # primary key until it meets one of them.
        page = Face.objects.filter(identity_id=after).values("identity_id")
        page_start = page.annotate(first=Min("pk")).values("first")
        found = identity_ids.filter(pk__gt=Subquery(page_start)).first()
        if found is not None:
            return found
    return identity_ids.first()


def _held_by(reviewer, *, now: datetime, origin: str, detector: str, exclude: set[int]) -> QuerySet[Face]:
    """The pending faces whose active leases the reviewer holds, within the filters."""
    faces = Face.objects.pending().filter(leases__reviewer=reviewer, leases__expires_at__gt=now)
    return _filtered(faces.exclude(pk__in=exclude), origin=origin, detector=detector)


def _batch_claim_for_identity(
    claimable: QuerySet[Face],
    *,
    reviewer,
    identity_id: int,
    origin: str,
    detector: str,
    exclude: set[int],
    size: int,
    now: datetime,
    held: list[int],
) -> tuple[list[int], list[Face]]:
    """Lease up to `size` faces of one identity to the reviewer; its own leases come first.

    Returns the ids of the faces whose leases were renewed, and the newly leased faces
    (with their identity and source image).

    1. Renew the reviewer's active leases on `held`, this identity's pending faces they
       hold (a reload or a second tab shows the same undecided crops, not new ones).
    2. Take candidates in _review_order() (_candidates_take) and lease them.
    3. Repeat while the batch is short and candidates remain.
    """
    expires_at = now + timedelta(seconds=settings.FACESITE_REVIEW_LEASE_SECONDS)
    if held:
        ReviewLease.objects.filter(reviewer=reviewer, face_id__in=held).update(expires_at=expires_at)

    claimed: list[Face] = []
    seen = set(exclude) | set(held)
    for _ in range(_CLAIM_ATTEMPTS):
        wanted = size - len(held) - len(claimed)
        if wanted <= 0:
            break
        picked, fresh = _candidates_take(
            claimable, identity_id=identity_id, origin=origin, detector=detector, skip=seen, wanted=wanted
        )
        if not picked:
            break
        seen.update(picked)
        # A lease of this reviewer's that expired is renewed in place.
        ReviewLease.objects.bulk_create(
            (ReviewLease(face=face, reviewer=reviewer, expires_at=expires_at) for face in fresh),
            update_conflicts=True,
            unique_fields=["face", "reviewer"],
            update_fields=["expires_at"],
        )
        claimed.extend(fresh)
        if len(picked) < wanted:
            # No candidates were left beyond these; another query would find none.
            break
    return held, claimed


def _candidates_take(
    claimable: QuerySet[Face], *, identity_id: int, origin: str, detector: str, skip: set[int], wanted: int
) -> tuple[list[int], list[Face]]:
    """Up to `wanted` candidate faces of an identity, in _review_order(): the ids picked,
    and those of them the reviewer may still take, read with the rows the page shows.

    On PostgreSQL the picked rows are locked (_candidates_lock) and read again by a
    statement that starts after the locks are held, as the read that picked them may
    predate another claim's commit. On SQLite the claim's transaction is IMMEDIATE: no
    other writer runs until it ends, so the read that picks them is current already.
    """
    options = {"identity_id": identity_id, "origin": origin, "detector": detector, "skip": skip}
    if not connection.features.has_select_for_update:
        faces = list(_candidates(claimable, **options).with_review_rows()[:wanted])
        return [face.pk for face in faces], faces
    locked = _candidates_lock(claimable, wanted=wanted, **options)
    return locked, list(claimable.filter(pk__in=locked).with_review_rows())


def _candidates(
    claimable: QuerySet[Face], *, identity_id: int, origin: str, detector: str, skip: set[int]
) -> QuerySet[Face]:
    candidates = claimable.filter(identity_id=identity_id).exclude(pk__in=skip)
    return _filtered(candidates, origin=origin, detector=detector).order_by(*_review_order())


def _candidates_lock(claimable: QuerySet[Face], *, wanted: int, **options) -> list[int]:
    """Lock up to `wanted` candidate faces of an identity, in _review_order().

    Rows another transaction holds are skipped, not waited for.
    """
    candidates = _candidates(claimable, **options)
    locked = candidates.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
    return list(locked[:wanted])


def _held_first(
    reviewer, *, now: datetime, origin: str, detector: str, exclude: set[int], size: int, first: int | None
):
    """One identity the reviewer holds faces of, `first` if they hold any of its, else the
    lowest id, and up to `size` of those faces, in one query: (None, []) when they hold none."""
    faces = _held_by(reviewer, now=now, origin=origin, detector=detector, exclude=exclude)
    if first is not None:
        # The reviewer holds a batch or two at most, so this sorts a handful of rows.
        faces = faces.alias(other=Case(When(identity_id=first, then=Value(0)), default=Value(1)))
        faces = faces.order_by("other", "identity_id", "pk")
    else:
        faces = faces.order_by("identity_id", "pk")
    rows = list(faces.values_list("identity_id", "pk")[:size])
    if not rows:
        return None, []
    identity_id = rows[0][0]
    return identity_id, [pk for row_identity_id, pk in rows if row_identity_id == identity_id]


def review_batch_held(
    *,
    reviewer,
    identity_id: int | None = None,
    origin: str = "",
    detector: str = "",
    exclude_face_ids: tuple[int, ...] | list[int] = (),
    now: datetime | None = None,
) -> ReviewBatch:
    """The faces of one identity the reviewer holds under active leases: a read, no writes.

    What the review page shows when it opens, so a reviewer who comes back within the
    lease finds their crops, and opening the page takes nothing from the pool.
    """
    now = now or timezone.now()
    faces = _held_by(reviewer, now=now, origin=origin, detector=detector, exclude=set(exclude_face_ids))
    if identity_id is not None:
        faces = faces.filter(identity_id=identity_id)
    faces = faces.with_review_rows().annotate(lease_expires_at=Max("leases__expires_at"))
    held = list(faces.order_by("identity_id", "pk")[:BATCH_SIZE])
    if not held:
        return ReviewBatch(Identity.objects.filter(pk=identity_id).first() if identity_id else None)
    held = sorted((face for face in held if face.identity_id == held[0].identity_id), key=_review_sort_key)
    return ReviewBatch(held[0].identity, held, min(face.lease_expires_at for face in held))


def review_batch_claim(
    *,
    reviewer,
    identity_id: int | None = None,
    prefer_identity_id: int | None = None,
    origin: str = "",
    detector: str = "",
    exclude_face_ids: tuple[int, ...] | list[int] = (),
    size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ReviewBatch:
    """Hand a reviewer up to `size` pending faces of one identity, each under a lease.

    1. With identity_id, serve only that identity. Otherwise try prefer_identity_id (the
       identity on the reviewer's page, so a person works through one at a time), else
       an identity whose crops the reviewer still holds (they came back within the
       lease), then the identity of the first face in the pool they could take.
    2. Faces in exclude_face_ids (decisions still on their way from the browser) are
       never served, so a crop is not shown twice while its vote travels.

    What the reviewer holds is read once, before the transaction: only their own
    requests change it, and it spares each identity tried a query of its own.
    """
    now = now or timezone.now()
    exclude = set(exclude_face_ids)
    # Built once: each query below is a cheap clone of it.
    claimable = Face.objects.claimable_by(
        reviewer, now=now, consensus=settings.FACESITE_REVIEW_CONSENSUS, trust=assist_mode() == "trust"
    )
    asked_for = identity_id or prefer_identity_id
    held_identity_id, held_ids = _held_first(
        reviewer, now=now, origin=origin, detector=detector, exclude=exclude, size=size, first=asked_for
    )
    if identity_id is not None:
        identity_choices = [identity_id]
    else:
        identity_choices = [prefer_identity_id] if prefer_identity_id else []
        # A reviewer back within the lease gets the crops they hold before new ones; one
        # who holds none goes to the pool. (Crops held of the preferred identity were
        # read first, so that choice serves them.)
        identity_choices += [held_identity_id] if held_identity_id else [None] * _CLAIM_ATTEMPTS
    held: list[int] = []
    claimed: list[Face] = []
    with transaction.atomic():
        _commit_without_disk_wait()
        for choice in identity_choices:
            if choice is None:
                choice = _identity_with_work(
                    claimable, origin=origin, detector=detector, exclude=exclude, after=prefer_identity_id
                )
                if choice is None:
                    break
            held, claimed = _batch_claim_for_identity(
                claimable,
                reviewer=reviewer,
                identity_id=choice,
                origin=origin,
                detector=detector,
                exclude=exclude,
                size=size,
                now=now,
                held=held_ids if choice == held_identity_id else [],
            )
            if held or claimed:
                break
    # Renewed leases (a reload) are read after the commit, so the claimed rows stay locked
    # (and votes on them wait) no longer than the claim itself.
    faces = claimed
    if held:
        faces += Face.objects.filter(pk__in=held).with_review_rows()
    faces.sort(key=_review_sort_key)
    if not faces:
        return ReviewBatch(Identity.objects.filter(pk=identity_id).first() if identity_id else None)
    return ReviewBatch(
        faces[0].identity, faces, now + timedelta(seconds=settings.FACESITE_REVIEW_LEASE_SECONDS)
    )


def _face_decided_record(face: Face, *, actor, before_status: str, via: str) -> None:
    """After a status change, under the face's lock: free its leases and record it.

    The caller recounts the identity with _identity_counts_refresh() after the commit;
    on SQLite the recount happens here instead.
    """
    ReviewLease.objects.filter(face=face).delete()
    AuditEvent.record(
        actor=actor,
        action="face.override" if via == "override" else _DECISION_ACTIONS[face.status],
        target=face,
        before={"status": before_status},
        after={
            "status": face.status,
            "reason": face.reason,
            "via": via,
            "votes": f"{face.approve_votes} approve, {face.reject_votes} reject",
        },
    )
    faces_changed_on_commit("decided")
    if _recount_in_decision():
        Identity(pk=face.identity_id).update_face_counts()


def _recount_in_decision() -> bool:
    """Whether a decision recounts its identity in its own transaction: on SQLite, which
    has no row locks to deadlock on. Its transaction holds the database's one write lock
    already, and a second transaction after the commit would only queue for it again."""
    return not connection.features.has_select_for_update


def _identity_counts_refresh(identity_id: int) -> None:
    """Recount an identity's faces once the decision's transaction has committed.

    A merge locks identities and then their faces, and a deletion deletes faces and then
    their identity; a transaction holding a face lock that waited for the identity's row
    would deadlock with one of them. The recount locks the identity row and counts what
    is committed, so the last recount after concurrent decisions counts them all.
    On SQLite the decision's transaction recounted already (_recount_in_decision).
    """
    if _recount_in_decision():
        return
    with transaction.atomic():
        _commit_without_disk_wait()
        Identity(pk=identity_id).update_face_counts()


def _decided_message(face: Face) -> str:
    return f"Face {face.pk} was already {face.status} while you were deciding; your vote was not recorded."


def _not_served_message(face: Face) -> str:
    return f"Face {face.pk} is not in a batch you fetched; your vote was not recorded."


def review_vote_record(
    *, reviewer, face_id: int, decision: str, reason: str = "", now: datetime | None = None
) -> ReviewOutcome:
    """Record one reviewer's vote on a face, and decide the face if the votes now agree.

    1. Lock the face row.
    2. The same vote sent again (a retry after a lost answer) is answered as saved.
    3. A face decided meanwhile refuses the vote with a message and keeps its status.
    4. A face the reviewer holds no lease on (never served to them by a batch) refuses it.
    5. Otherwise save the vote, release the reviewer's lease, tally the votes, and on a
       decision free the other leases and record the status change.
    6. A decision recounts the identity's faces: after the commit (on SQLite, before it).
    """
    _decision_check(decision, reason)
    now = now or timezone.now()
    with face_locked(face_id, lease_of=reviewer) as face:
        if face is None:
            return ReviewOutcome.face_deleted(face_id)
        # One read serves the retry check and the tally.
        votes = list(face.votes.order_by("created_at", "id").values_list("reviewer_id", "decision", "reason"))
        existing = next(((d, r) for voter_id, d, r in votes if voter_id == reviewer.pk), None)
        if existing is not None:
            if existing == (decision, reason):
                return ReviewOutcome(face.pk, saved=True, status=face.status)
            message = f"You already voted {existing[0]} on face {face.pk}; undo that vote first."
            return ReviewOutcome(face.pk, saved=False, status=face.status, message=message)
        if face.status != Face.Status.PENDING:
            ReviewLease.objects.filter(face=face, reviewer=reviewer).delete()
            return ReviewOutcome(face.pk, saved=False, status=face.status, message=_decided_message(face))
        # Without a lease the face was never served to this reviewer by a batch. A lapsed
        # lease still counts, so decisions kept in the browser while offline are not lost.
        if not face.leased:
            return ReviewOutcome(face.pk, saved=False, status=face.status, message=_not_served_message(face))
        ReviewVote.objects.create(face=face, reviewer=reviewer, decision=decision, reason=reason)
        after = {"decision": decision, "reason": reason} if reason else {"decision": decision}
        AuditEvent.record(actor=reviewer, action="review.vote", target=face, after=after)
        tally = [(d, r) for _, d, r in votes] + [(decision, reason)]
        # Trust mode: a likely-right crop that is no blind check is decided by one vote.
        trusted = getattr(face, "trusted", False)
        decided = face.tally_votes(1 if trusted else settings.FACESITE_REVIEW_CONSENSUS, now, votes=tally)
        if decided:
            # Frees every lease of the face, this reviewer's among them.
            via = "trust" if trusted else "consensus"
            _face_decided_record(face, actor=reviewer, before_status=Face.Status.PENDING, via=via)
        else:
            ReviewLease.objects.filter(face=face, reviewer=reviewer).delete()
    if decided:
        _identity_counts_refresh(face.identity_id)
    return ReviewOutcome(face.pk, saved=True, status=face.status)


def review_vote_undo(*, reviewer, face_id: int, now: datetime | None = None) -> ReviewOutcome:
    """Take back a reviewer's vote on a face that is still pending.

    A decided face keeps its decision: it may already have left every reviewer's queue,
    and only an admin's override changes it. After an undo the face is leased to the
    reviewer again, so the vote they owe it is not handed to someone else meanwhile.
    """
    now = now or timezone.now()
    with face_locked(face_id) as face:
        if face is None:
            return ReviewOutcome.face_deleted(face_id)
        vote = face.votes.filter(reviewer=reviewer).first()
        if vote is None:
            # Nothing to take back: the undo already happened (a retried request).
            return ReviewOutcome(face.pk, saved=True, status=face.status)
        if face.status != Face.Status.PENDING:
            message = (
                f"Face {face.pk} is already {face.status}, so your vote stands; "
                "an admin can override the decision."
            )
            return ReviewOutcome(face.pk, saved=False, status=face.status, message=message)
        vote.delete()
        face.tally_votes(settings.FACESITE_REVIEW_CONSENSUS, now)
        ReviewLease.objects.update_or_create(
            face=face,
            reviewer=reviewer,
            defaults={"expires_at": now + timedelta(seconds=settings.FACESITE_REVIEW_LEASE_SECONDS)},
        )
        AuditEvent.record(
            actor=reviewer,
            action="review.undo",
            target=face,
            before={"decision": vote.decision, "reason": vote.reason},
        )
    return ReviewOutcome(face.pk, saved=True, status=face.status)


def review_override(
    *, actor, face_id: int, decision: str, reason: str = "", now: datetime | None = None
) -> ReviewOutcome:
    """An admin's final decision on a face, whatever its votes or status; always audited."""
    _decision_check(decision, reason)
    now = now or timezone.now()
    with face_locked(face_id) as face:
        if face is None:
            return ReviewOutcome.face_deleted(face_id)
        if (face.status, face.reason) == (decision, reason):
            return ReviewOutcome(face.pk, saved=True, status=face.status, message="Nothing changed.")
        before_status = face.status
        face.status, face.reason, face.decided_at = decision, reason, now
        face.save(update_fields=["status", "reason", "decided_at"])
        _face_decided_record(face, actor=actor, before_status=before_status, via="override")
    _identity_counts_refresh(face.identity_id)
    return ReviewOutcome(face.pk, saved=True, status=face.status)


def review_auto_reject(*, face_id: int, reason: str, now: datetime | None = None) -> ReviewOutcome:
    """Reject a pending face nobody has voted on, for review assistance (trust mode): no
    actor (the system), audited as a rejection "via assist", reversible by an override."""
    now = now or timezone.now()
    with face_locked(face_id) as face:
        if face is None:
            return ReviewOutcome.face_deleted(face_id)
        if face.status != Face.Status.PENDING or face.approve_votes or face.reject_votes:
            return ReviewOutcome(face.pk, saved=False, status=face.status, message="Left to the reviewers.")
        face.status, face.reason, face.decided_at = Face.Status.REJECTED, reason, now
        face.save(update_fields=["status", "reason", "decided_at"])
        _face_decided_record(face, actor=None, before_status=Face.Status.PENDING, via="assist")
    _identity_counts_refresh(face.identity_id)
    return ReviewOutcome(face.pk, saved=True, status=face.status)
