"""The scrape form checks every pasted name before it creates any identity or starts any job."""

from django.urls import reverse

from identities.models import Identity
from pipeline.models import JobRun


def scrape_form(names: str) -> dict:
    return {"names": names, "per_identity": 10, "provider": "bing", "detector": "haar"}


def test_bad_names_are_shown_by_line_and_nothing_is_created(admin_web, rq_queues):
    names = "\n".join(["Jane Doe", "x" * 201, "___", "John\x01Roe", "John Roe"])

    response = admin_web.post(reverse("scrape_start"), scrape_form(names))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Line 2: The name &#x27;xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&#x27;… is too long" in page
    assert "Line 3: &#x27;___&#x27; is no name: underscores count as spaces." in page
    assert "Line 4: The name &#x27;John\\x01Roe&#x27; holds a control character (U+0001)" in page
    assert not Identity.objects.exists()
    assert not JobRun.objects.exists()

    # The list put right starts its jobs.
    response = admin_web.post(reverse("scrape_start"), scrape_form("Jane Doe\n\n  \njane doe\nJohn Roe\n"))
    assert response.status_code == 302
    assert sorted(Identity.objects.values_list("name", flat=True)) == ["Jane Doe", "John Roe"]
    assert JobRun.objects.count() == 2
