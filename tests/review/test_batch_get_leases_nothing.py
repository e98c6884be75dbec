"""GET /review/batch/ shows the crops a reviewer holds and changes nothing; POST takes a batch."""

from django.test import Client

from identities.models import ReviewLease


def face_ids(html: str) -> list[int]:
    return [int(part.split('"')[0]) for part in html.split('data-face-id="')[1:]]


def test_a_get_writes_no_lease_and_says_how_to_take_a_batch(reviewer, pending_faces):
    # With CSRF checks on, as in a browser: a batch is taken only with the page's token.
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    html = client.get("/review/batch/").content.decode()
    assert face_ids(html) == [] and "You hold no crops" in html and "Nothing left" not in html
    assert client.post("/review/batch/").status_code == 403
    assert not ReviewLease.objects.exists()


def test_a_post_leases_the_batch_and_a_get_then_shows_it_unchanged(reviewer_web, reviewer, pending_faces):
    claimed = face_ids(reviewer_web.post("/review/batch/").content.decode())
    assert claimed == [face.pk for face in pending_faces]
    leases = dict(ReviewLease.objects.values_list("face_id", "expires_at"))
    html = reviewer_web.get("/review/batch/").content.decode()
    assert face_ids(html) == claimed and "Held for you until" in html
    assert dict(ReviewLease.objects.values_list("face_id", "expires_at")) == leases
    # Filters and decisions still on their way narrow what it shows.
    first = pending_faces[0]
    html = reviewer_web.get(
        f"/review/batch/?identity={first.identity_id}&exclude={first.pk}"
    ).content.decode()
    assert face_ids(html) == claimed[1:]
    assert face_ids(reviewer_web.get("/review/batch/?origin=url").content.decode()) == []
