"""The merge form's name field is the identity picker; typed without JavaScript, a
name still finds the identity."""

import pytest

from tests.factories import make_identity

pytestmark = pytest.mark.django_db


def test_the_merge_form_name_field_is_the_picker_and_a_typed_name_still_works(admin_web):
    source, target = make_identity("Ada"), make_identity("Ada Lovelace")

    form = admin_web.get(f"/identities/{source.pk}/merge/").content.decode()
    confirm = admin_web.get(f"/identities/{source.pk}/merge/", {"target": "ada lovelace"}).content.decode()

    assert 'name="target"' in form and "data-identity-picker" in form
    assert "Merge Ada into Ada Lovelace?" in confirm and f'value="{target.pk}"' in confirm
