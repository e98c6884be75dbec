"""The scrape form picks identities with the search-as-you-type picker, not a select of
every identity: picked ids, a name typed in the picker field (no JavaScript), or
identities preselected by a link."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun
from tests.factories import make_identity

pytestmark = pytest.mark.django_db


def form(**fields) -> dict:
    return {"per_identity": 10, "provider": "local", "detector": "haar", **fields}


def scraped_targets() -> set[str]:
    return set(JobRun.objects.filter(kind="scrape").values_list("target_key", flat=True))


def test_the_page_has_the_picker_and_no_list_of_every_identity(admin_web, scrape_providers):
    make_identity("Zed Zebra")

    page = admin_web.get(reverse("scrape_start")).content.decode()

    assert "data-identity-picker" in page and 'data-identity-picker-collect="identities"' in page
    assert "Zed Zebra" not in page and '<select name="identities"' not in page


def test_a_link_preselects_identities_as_ticked_boxes(admin_web, scrape_providers):
    jane = make_identity("Jane Doe")
    make_identity("Zed Zebra")

    page = admin_web.get(reverse("scrape_start"), {"identity": jane.pk}).content.decode()

    assert f'name="identities" value="{jane.pk}" checked> Jane Doe' in page
    assert "Zed Zebra" not in page


def test_picked_ids_and_a_typed_name_are_scraped_together(admin_web, rq_queues, scrape_providers):
    jane, john = make_identity("Jane Doe"), make_identity("John Roe")
    make_identity("Nobody Else")

    response = admin_web.post(reverse("scrape_start"), form(identities=[jane.pk], identity="john roe"))

    assert response.status_code == 302
    assert scraped_targets() == {f"identity:{jane.pk}", f"identity:{john.pk}"}


def test_a_typed_name_that_is_no_identity_is_refused_and_nothing_starts(
    admin_web, rq_queues, scrape_providers
):
    response = admin_web.post(reverse("scrape_start"), form(identity="Jane Doe"))

    assert response.status_code == 200
    assert (
        "No identity is named “Jane Doe”; to create it, paste the name under names."
        in response.content.decode()
    )
    assert not JobRun.objects.exists()
