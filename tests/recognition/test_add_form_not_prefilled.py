"""The "add this face" form does not offer the gallery's guess: a click must not file a stranger."""

from django.urls import reverse

from recognition.models import RecognitionResult
from tests.conftest import make_user
from tests.recognition.uploads import JOHN, group_photo, upload


def test_the_name_field_starts_empty_even_when_the_gallery_named_someone(client, db):
    client.force_login(make_user("ursula", "admin", "uploader"))
    client.post(reverse("recognize"), {"image": upload(group_photo(JOHN))})
    result = RecognitionResult.objects.get()
    # The gallery's answer, as it reads when it took the face for someone it knows.
    result.faces[0]["gallery"] |= {
        "unknown": False,
        "confidence": "uncertain",
        "name": "Jane Doe",
        "identity_id": 7,
    }
    result.save(update_fields=["faces"])

    page = client.get(result.get_absolute_url()).content.decode()

    field = page[page.index('id="add-1"') : page.index(">", page.index('id="add-1"'))]
    assert "value=" not in field
    # The identity picker searches names as you type; without JavaScript a plain name field.
    assert "data-identity-picker" in field and 'name="identity"' in field
    assert 'name="target" value="existing" checked' in page
    assert 'name="target" value="new"' in page
