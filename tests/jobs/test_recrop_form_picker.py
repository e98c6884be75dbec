"""The re-crop form picks its identity with the search-as-you-type picker, not a select of
every identity: a name typed in the field (no JavaScript) works, and a link preselects one."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun
from tests.factories import make_identity

pytestmark = pytest.mark.django_db


def test_the_page_has_the_picker_and_no_list_of_every_identity(admin_web):
    make_identity("Zed Zebra")

    page = admin_web.get(reverse("recrop_start")).content.decode()

    assert 'name="identity"' in page and "data-identity-picker" in page
    assert "Zed Zebra" not in page and '<select name="identity"' not in page


def test_a_link_preselects_the_identity_by_id(admin_web):
    jane = make_identity("Jane Doe")

    page = admin_web.get(reverse("recrop_start"), {"identity": jane.pk}).content.decode()

    assert 'value="Jane Doe"' in page


def test_a_typed_name_in_any_case_starts_the_job_for_that_identity(admin_web, rq_queues):
    jane = make_identity("Jane Doe")
    make_identity("Jane Doer")

    response = admin_web.post(reverse("recrop_start"), {"identity": " jane doe ", "detector": "haar"})

    assert response.status_code == 302
    assert JobRun.objects.get(kind="recrop").target_key == f"identity:{jane.pk}"


@pytest.mark.parametrize("name", ["Nobody", "Old Name"])
def test_a_name_that_is_no_active_identity_is_refused_and_nothing_starts(admin_web, rq_queues, name):
    make_identity("Old Name", archived=True)

    response = admin_web.post(reverse("recrop_start"), {"identity": name, "detector": "haar"})

    assert response.status_code == 200
    assert f"No active identity is named “{name}”." in response.content.decode()
    assert not JobRun.objects.exists()
