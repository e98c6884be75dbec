from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.models import AuditEvent, Face, Identity, SourceImage


def identities_with_faces(count: int, faces_each: int) -> None:
    """Rows only, no files: the list never opens an image."""
    offset = Identity.objects.count()
    identities = Identity.objects.bulk_create(
        Identity(name=f"Person {offset + number}", approved_count=faces_each) for number in range(count)
    )
    sources = SourceImage.objects.bulk_create(
        SourceImage(
            identity=identity,
            sha256=f"{identity.pk:064d}",
            file=f"{identity.pk}.jpg",
            byte_size=1,
            origin=SourceImage.Origin.FILE,
            origin_detail="x.jpg",
            status=SourceImage.Status.FACES,
        )
        for identity in identities
    )
    Face.objects.bulk_create(
        Face(
            identity_id=source.identity_id,
            source_image=source,
            file=f"face-{source.pk}-{number}.jpg",
            box_left=number,
            box_top=0,
            box_width=10,
            box_height=10,
            detector="none",
            phash=number,
            status=Face.Status.APPROVED if number % 2 else Face.Status.PENDING,
        )
        for source in sources
        for number in range(faces_each)
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_a_page_costs_the_same_queries_at_any_data_size(admin_web, db):
    identities_with_faces(3, faces_each=2)
    urls = ["/identities/", "/identities/?q=person&sort=-approved", "/identities/?show=all&page=2"]
    small = [queries_for(admin_web, url) for url in urls]
    identities_with_faces(300, faces_each=12)
    large = [queries_for(admin_web, url) for url in urls]
    assert small == large
    # Session, user, permissions (2), the count, the page and its thumbnails.
    assert max(large) <= 7


def test_the_overview_costs_the_same_queries_at_any_data_size(admin_web, admin):
    identities_with_faces(3, faces_each=2)
    AuditEvent.record(actor=admin, action="identity.create", target=Identity.objects.first())
    small = queries_for(admin_web, "/")
    identities_with_faces(300, faces_each=12)
    for identity in Identity.objects.all()[:40]:
        AuditEvent.record(actor=admin, action="identity.create", target=identity)
    assert queries_for(admin_web, "/") == small
