"""The reviewer's page: a shell, batches as HTML fragments, decisions as JSON."""

import pytest

from identities.models import Face, ReviewLease
from tests.factories import make_face, make_identity, make_pending_faces, vote_served


def post_operations(client, *operations):
    return client.post(
        "/review/decisions/", {"operations": list(operations)}, content_type="application/json"
    )


def test_the_page_has_the_filters_keys_and_script(reviewer_web, grace, pending_faces):
    page = reviewer_web.get("/review/").content.decode()
    assert 'name="identity_name"' in page and "data-identity-picker" in page
    assert '<option value="none">none</option>' in page
    assert "Approve the rest" in page and "review.js" in page
    assert page.count("<kbd>") > 10


def test_a_batch_shows_crops_the_reference_strip_and_readiness(reviewer_web, reviewer, grace, pending_faces):
    approved = make_face(grace, status=Face.Status.APPROVED)
    html = reviewer_web.post("/review/batch/").content.decode()
    assert html.count('class="review-face"') == 6
    assert f'alt="Approved face {approved.pk}"' in html
    assert "1/50" in html  # readiness: approved against the target
    assert "64×64 px · none" in html
    assert ReviewLease.objects.filter(reviewer=reviewer).count() == 6


def test_a_batch_never_shows_other_reviewers_votes(reviewer_web, rob, pending_faces):
    vote_served(reviewer=rob, face_id=pending_faces[0].pk, decision="rejected", reason="duplicate")
    html = reviewer_web.post("/review/batch/").content.decode()
    assert f'data-face-id="{pending_faces[0].pk}"' in html
    assert "rob" not in html and "✗" not in html and "duplicate" not in html.lower()


def test_the_batch_follows_the_filters(reviewer_web, grace, pending_faces):
    other = make_identity("Ada Lovelace")
    from_urls = make_pending_faces(other, 2, origin="url")
    html = reviewer_web.post(f"/review/batch/?identity={other.pk}&origin=url").content.decode()
    assert "Ada Lovelace" in html and html.count('class="review-face"') == 2
    assert f'data-face-id="{from_urls[0].pk}"' in html
    html = reviewer_web.post("/review/batch/?detector=haar").content.decode()
    assert "Nothing left for you to review with these filters." in html


def test_nonsense_filters_are_ignored(reviewer_web, pending_faces):
    first, second = pending_faces[:2]
    url = f"/review/batch/?identity=abc&origin=ftp&exclude={first.pk},x,,{second.pk}"
    html = reviewer_web.post(url).content.decode()
    assert html.count('class="review-face"') == 4
    assert f'data-face-id="{first.pk}"' not in html


def test_decisions_are_applied_in_order(reviewer_web, reviewer, pending_faces):
    first, second = pending_faces[:2]
    reviewer_web.post("/review/batch/")
    response = post_operations(
        reviewer_web,
        {"face": first.pk, "action": "approved", "reason": ""},
        {"face": second.pk, "action": "rejected", "reason": "not_a_face"},
        {"face": second.pk, "action": "undo"},
        {"face": second.pk, "action": "rejected", "reason": "duplicate"},
    )
    assert response.status_code == 200
    assert [result["saved"] for result in response.json()["results"]] == [True] * 4
    assert Face.objects.get(pk=second.pk).votes.get().reason == "duplicate"


def test_an_invalid_decision_is_refused_alone(reviewer_web, pending_faces):
    reviewer_web.post("/review/batch/")
    response = post_operations(
        reviewer_web,
        {"face": pending_faces[0].pk, "action": "rejected", "reason": ""},
        {"face": pending_faces[1].pk, "action": "approved", "reason": ""},
    )
    first, second = response.json()["results"]
    assert first["saved"] is False and "needs a reason" in first["message"]
    assert second["saved"] is True


@pytest.mark.parametrize("body", [b"not json", b'{"operations": "x"}', b'{"operations": [{"face": "1"}]}'])
def test_a_malformed_request_is_a_400(reviewer_web, body):
    response = reviewer_web.post("/review/decisions/", body, content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


def test_the_admins_identity_page_shows_votes_and_pages_on(admin_web, reviewer, grace, pending_faces):
    vote_served(reviewer=reviewer, face_id=pending_faces[0].pk, decision="approved")
    assert "Review Grace Hopper" in admin_web.get(f"/identities/{grace.pk}/review/").content.decode()
    html = admin_web.get(f"/identities/{grace.pk}/review/batch/").content.decode()
    assert html.count('class="review-face"') == 6 and "✓ 1" in html
    html = admin_web.get(f"/identities/{grace.pk}/review/batch/?after={pending_faces[3].pk}").content.decode()
    assert html.count('class="review-face"') == 2
    assert not ReviewLease.objects.exists()
