from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.models import AuditEvent, Face, Identity
from tests.factories import make_identities_with_faces

BOTH = (Face.Status.PENDING, Face.Status.APPROVED)


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_a_page_costs_the_same_queries_at_any_data_size(admin_web, db):
    make_identities_with_faces(3, faces_each=2, statuses=BOTH)
    urls = ["/identities/", "/identities/?q=person&sort=-approved", "/identities/?show=all&page=2"]
    small = [queries_for(admin_web, url) for url in urls]
    make_identities_with_faces(300, faces_each=12, statuses=BOTH)
    large = [queries_for(admin_web, url) for url in urls]
    assert small == large
    # Session, user, permissions (2), the count, the page and its thumbnails.
    assert max(large) <= 7


def test_the_overview_costs_the_same_queries_at_any_data_size(admin_web, admin):
    make_identities_with_faces(3, faces_each=2, statuses=BOTH)
    AuditEvent.record(actor=admin, action="identity.create", target=Identity.objects.first())
    small = queries_for(admin_web, "/")
    make_identities_with_faces(300, faces_each=12, statuses=BOTH)
    for identity in Identity.objects.all()[:40]:
        AuditEvent.record(actor=admin, action="identity.create", target=identity)
    assert queries_for(admin_web, "/") == small
