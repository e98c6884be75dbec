"""Reviewer statistics: decisions, pace, agreement with the outcome, reasons, overrides."""

from datetime import datetime

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate, TruncHour

from identities.models import AuditEvent, Face, FaceAssessment, ReviewVote
from identities.review_services import REJECT_REASONS


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def reviewer_stats(*, since: datetime | None) -> list[dict]:
    """Per reviewer since a moment: decisions, decisions per active hour, agreement, reasons.

    An active hour is a clock hour with at least one vote. Agreement counts only votes
    on faces decided since, by consensus or by an admin's override.
    """
    votes = ReviewVote.objects.all()
    if since is not None:
        votes = votes.filter(created_at__gte=since)
    reason_counts = {
        reason.value: Count("pk", filter=Q(reason=reason.value)) for reason in REJECT_REASONS.values()
    }
    rows = (
        votes.values("reviewer_id", "reviewer__username")
        .annotate(
            decisions=Count("pk"),
            approvals=Count("pk", filter=Q(decision=Face.Status.APPROVED)),
            rejections=Count("pk", filter=Q(decision=Face.Status.REJECTED)),
            active_hours=Count(TruncHour("created_at"), distinct=True),
            on_decided=Count("pk", filter=~Q(face__status=Face.Status.PENDING)),
            agreed=Count("pk", filter=Q(decision=F("face__status"))),
            **reason_counts,
        )
        .order_by("-decisions", "reviewer__username")
    )
    return [
        {
            **row,
            "per_hour": row["decisions"] / row["active_hours"],
            "agreement": _ratio(row["agreed"], row["on_decided"]),
            "reasons": [(reason.label, row[reason.value]) for reason in REJECT_REASONS.values()],
        }
        for row in rows
    ]


def reviewer_stats_by_day(*, since: datetime | None) -> list[dict]:
    votes = ReviewVote.objects.all()
    if since is not None:
        votes = votes.filter(created_at__gte=since)
    rows = (
        votes.annotate(day=TruncDate("created_at"))
        .values("day", "reviewer_id", "reviewer__username")
        .annotate(
            decisions=Count("pk"),
            approvals=Count("pk", filter=Q(decision=Face.Status.APPROVED)),
            rejections=Count("pk", filter=Q(decision=Face.Status.REJECTED)),
            on_decided=Count("pk", filter=~Q(face__status=Face.Status.PENDING)),
            agreed=Count("pk", filter=Q(decision=F("face__status"))),
        )
        .order_by("-day", "reviewer__username")
    )
    return [{**row, "agreement": _ratio(row["agreed"], row["on_decided"])} for row in rows]


def override_counts(*, since: datetime | None) -> list[dict]:
    """Overrides per admin since a moment, from the audit log."""
    events = AuditEvent.objects.filter(action="face.override")
    if since is not None:
        events = events.filter(created_at__gte=since)
    counts = events.values("actor__username").annotate(overrides=Count("pk"))
    return list(counts.order_by("-overrides", "actor__username"))


def assist_band_errors(*, since: datetime | None) -> list[dict]:
    """Each assistance band's measured error rate among crops decided since a moment.

    "Likely this person" is measured on its blind checks only: they went through ordinary
    review with no band shown, while the other likely-right crops were reviewed with it
    (and in trust mode by one vote), which would flatter the band. For the other bands an
    error is a crop approved although the band said another person or not a face; "needs
    a look" has no error, only the share approved. Automatic rejections are left out.
    """
    decided = FaceAssessment.objects.exclude(face__status=Face.Status.PENDING)
    if since is not None:
        decided = decided.filter(face__decided_at__gte=since)
    measured = Q(band=FaceAssessment.Band.LIKELY, blind_check=True) | ~Q(band=FaceAssessment.Band.LIKELY)
    decided = decided.exclude(face__votes__isnull=True).filter(measured)
    rows = decided.values("band").annotate(
        decided=Count("pk", distinct=True),
        approved=Count("pk", distinct=True, filter=Q(face__status=Face.Status.APPROVED)),
    )
    by_band = {row["band"]: row for row in rows}
    results = []
    for band in FaceAssessment.Band:
        row = by_band.get(band.value, {"decided": 0, "approved": 0})
        wrong = row["decided"] - row["approved"] if band == FaceAssessment.Band.LIKELY else row["approved"]
        error = None if band == FaceAssessment.Band.LOOK else _ratio(100 * wrong, row["decided"])
        results.append(
            {"band": band.label, "decided": row["decided"], "approved": row["approved"], "error": error}
        )
    return results
