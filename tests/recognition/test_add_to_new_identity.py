"""From a result, an admin can file a face under a new identity, created by name and audited."""

from django.urls import reverse

from identities.models import AuditEvent, Face, Identity
from recognition.models import RecognitionResult
from tests.conftest import make_user
from tests.factories import make_identity
from tests.recognition.uploads import JOHN, group_photo, upload


def recognized_result(client) -> RecognitionResult:
    client.force_login(make_user("ursula", "admin", "uploader"))
    client.post(reverse("recognize"), {"image": upload(group_photo(JOHN))})
    return RecognitionResult.objects.get()


def test_a_face_is_added_to_a_new_identity_created_by_name(client, db):
    result = recognized_result(client)

    response = client.post(
        reverse("recognition_face_add", args=[result.pk, 1]),
        {"target": "new", "identity": "  John   Newcomer "},
        follow=True,
    )

    identity = Identity.objects.get(name="John Newcomer")
    face = Face.objects.get()
    assert face.identity == identity and face.status == Face.Status.PENDING
    assert "added to John Newcomer; it waits in the review queue" in response.content.decode()
    created = AuditEvent.objects.get(action="identity.create")
    assert created.actor.username == "ursula" and created.after == {"name": "John Newcomer"}


def test_a_new_identity_is_not_made_from_a_name_that_is_taken(client, db):
    make_identity("John Roe")
    result = recognized_result(client)

    response = client.post(
        reverse("recognition_face_add", args=[result.pk, 1]),
        {"target": "new", "identity": "john roe"},
        follow=True,
    )

    assert "An identity named &#x27;John Roe&#x27; already exists." in response.content.decode()
    assert Identity.objects.count() == 1 and not Face.objects.exists()
    assert not AuditEvent.objects.filter(action="identity.create").exists()
