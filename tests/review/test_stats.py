"""Reviewer statistics: decisions, decisions per active hour, agreement, reasons, per day."""

from datetime import timedelta

from django.utils import timezone

from identities.models import ReviewVote
from identities.review_services import review_override
from identities.review_stats import reviewer_stats, reviewer_stats_by_day
from tests.factories import vote_served


def test_statistics_per_reviewer(admin, reviewer, rob, pending_faces):
    first, second, third = pending_faces[:3]
    for face in (first, second):
        vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
        vote_served(reviewer=rob, face_id=face.pk, decision="approved")
    review_override(actor=admin, face_id=second.pk, decision="rejected", reason="poor_quality")
    vote_served(reviewer=reviewer, face_id=third.pk, decision="rejected", reason="not_a_face")
    # Rita's third vote came two hours earlier: a second active hour.
    ReviewVote.objects.filter(face=third).update(created_at=timezone.now() - timedelta(hours=2))

    rita = next(row for row in reviewer_stats(since=None) if row["reviewer__username"] == "rita")
    assert (rita["decisions"], rita["approvals"], rita["rejections"]) == (3, 2, 1)
    assert rita["active_hours"] == 2 and rita["per_hour"] == 1.5
    assert (rita["agreed"], rita["on_decided"], rita["agreement"]) == (1, 2, 0.5)
    assert ("Not a face", 1) in rita["reasons"] and ("Wrong person", 0) in rita["reasons"]

    recent = reviewer_stats(since=timezone.now() - timedelta(hours=1))
    assert {row["reviewer__username"]: row["decisions"] for row in recent} == {"rita": 2, "rob": 2}


def test_statistics_per_day(reviewer, rob, pending_faces):
    vote_served(reviewer=reviewer, face_id=pending_faces[0].pk, decision="approved")
    vote_served(reviewer=reviewer, face_id=pending_faces[1].pk, decision="approved")
    ReviewVote.objects.filter(face=pending_faces[1]).update(created_at=timezone.now() - timedelta(days=1))
    rows = reviewer_stats_by_day(since=None)
    assert [(row["reviewer__username"], row["decisions"]) for row in rows] == [("rita", 1), ("rita", 1)]
    assert rows[0]["day"] > rows[1]["day"]


def test_the_statistics_page(admin, admin_web, reviewer, rob, pending_faces):
    face = pending_faces[0]
    vote_served(reviewer=reviewer, face_id=face.pk, decision="approved")
    vote_served(reviewer=rob, face_id=face.pk, decision="rejected", reason="duplicate")
    review_override(actor=admin, face_id=face.pk, decision="approved")
    page = admin_web.get("/review/stats/?period=7").content.decode()
    assert ">rita</a>" in page and ">rob</a>" in page
    assert "100%" in page and "0%" in page
    assert "<td>ada</td>" in page  # the overrides table
    assert admin_web.get("/review/stats/?period=bogus").status_code == 200
