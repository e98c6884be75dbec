"""The review page with assistance: crops most suspicious first, each with its band, score
and lookalike; a blind check shows none of it; with assistance off, neither."""

import re

from identities.models import Face
from tests.factories import make_identity
from tests.review.assessments import assess


def batch_face_ids(html: str) -> list[int]:
    return [int(face_id) for face_id in re.findall(r'data-face-id="(\d+)"', html)]


def banded(pending_faces):
    ada = make_identity("Ada Lovelace")
    likely, look, other, not_face = pending_faces[:4]
    assess(likely, "likely", score=0.72)
    assess(look, "look", score=0.40)
    assess(other, "other", score=0.12, lookalike=ada)
    assess(not_face, "not_face", score=0.05)
    return likely, look, other, not_face


def test_suspicious_crops_come_first_with_their_hint(settings, reviewer_web, pending_faces):
    settings.FACESITE_REVIEW_ASSIST = "suggest"
    likely, look, other, not_face = banded(pending_faces)
    html = reviewer_web.post("/review/batch/").content.decode()
    unscored = [face.pk for face in pending_faces[4:]]
    assert batch_face_ids(html) == [not_face.pk, other.pk, look.pk, likely.pk, *unscored]
    assert "looks like Ada Lovelace (0.62)" in html
    assert 'data-band="likely"' in html and "Likely this person</span> 0.72" in html
    # The legend's bars, the lookalike's included.
    assert "≥ 0.45 and no one else claims it" in html
    assert "claimed by a lookalike scoring ≥ 0.58" in html


def test_a_lookalike_under_the_one_to_one_threshold_is_not_named(settings, reviewer_web, pending_faces):
    """The nearest other identity of a stranger's crop scores low; the 1:1 threshold (0.30
    here) judges the two different people, so the page does not say the crop looks like it."""
    settings.FACESITE_REVIEW_ASSIST = "suggest"
    ada, bob = make_identity("Ada Lovelace"), make_identity("Bob Smith")
    assess(pending_faces[0], "other", score=0.1, lookalike=ada, lookalike_score=0.29)
    assess(pending_faces[1], "other", score=0.1, lookalike=bob, lookalike_score=0.30)
    html = reviewer_web.post("/review/batch/").content.decode()
    assert "Ada Lovelace" not in html
    assert "looks like Bob Smith (0.30)" in html


def test_a_reload_keeps_the_order(settings, reviewer_web, pending_faces):
    settings.FACESITE_REVIEW_ASSIST = "suggest"
    likely, look, other, not_face = banded(pending_faces)
    reviewer_web.post("/review/batch/")
    html = reviewer_web.get("/review/batch/").content.decode()
    assert batch_face_ids(html)[:4] == [not_face.pk, other.pk, look.pk, likely.pk]


def test_a_blind_check_shows_no_band_and_sits_among_needs_a_look(settings, reviewer_web, pending_faces):
    settings.FACESITE_REVIEW_ASSIST = "trust"
    blind, look = pending_faces[0], pending_faces[1]
    assess(blind, "likely", score=0.8, blind=True)
    assess(look, "look", score=0.3)
    html = reviewer_web.post("/review/batch/").content.decode()
    figure = re.search(rf'<figure[^>]*data-face-id="{blind.pk}".*?</figure>', html, re.S).group(0)
    assert "band" not in figure and "0.80" not in figure
    assert batch_face_ids(html)[:2] == [look.pk, blind.pk]  # ranked as "needs a look", by score
    assert "Likely this person</span> 0.8" not in html


def test_assistance_off_shows_no_hint_and_keeps_id_order(settings, reviewer_web, pending_faces):
    settings.FACESITE_REVIEW_ASSIST = "off"
    banded(pending_faces)
    html = reviewer_web.post("/review/batch/").content.decode()
    assert batch_face_ids(html) == sorted(face.pk for face in pending_faces)
    assert "looks like" not in html and "data-band" not in html


def test_approving_the_rest_except_the_marked_crops_is_one_vote_each(
    settings, reviewer_web, reviewer, pending_faces
):
    """What Shift+A sends after the reviewer rejected the suspicious crops: one vote per crop."""
    settings.FACESITE_REVIEW_ASSIST = "trust"
    likely, look, other, not_face = banded(pending_faces)
    reviewer_web.post("/review/batch/")
    operations = [{"face": other.pk, "action": "rejected", "reason": "wrong_person"}]
    operations += [{"face": face.pk, "action": "approved"} for face in pending_faces if face != other]
    results = reviewer_web.post(
        "/review/decisions/", {"operations": operations}, content_type="application/json"
    )
    assert all(result["saved"] for result in results.json()["results"])
    statuses = dict(Face.objects.filter(pk__in=[f.pk for f in pending_faces]).values_list("pk", "status"))
    assert statuses[likely.pk] == Face.Status.APPROVED  # trusted: its one vote decides
    assert statuses[look.pk] == statuses[other.pk] == Face.Status.PENDING  # a second reviewer decides
    assert reviewer.review_votes.count() == len(pending_faces)
