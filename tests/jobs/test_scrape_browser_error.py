"""A search the browser cannot open fails in plain words, once, with the browser's own in the log."""

import json

import pytest
from django.urls import reverse

from pipeline.models import JobRun
from tests.workers import burst_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_unresolvable_search_site_is_explained_in_plain_words(
    admin_web, rq_queues, tmp_path, monkeypatch, settings
):
    providers_file = tmp_path / "providers.json"
    providers_file.write_text(
        json.dumps([{
            "name": "nowhere",
            "label": "Nowhere Images",
            "search_url": "http://no-such-host.invalid/search?q={query}",
            "result_selector": "a.result",
            "image_url_attribute": "href",
        }])
    )  # fmt: skip
    monkeypatch.setenv("FACESITE_SCRAPE_PROVIDERS", str(providers_file))
    settings.FACESITE_SCRAPE_PROVIDERS = str(providers_file)
    # Checking the address first would refuse the unknown name before the browser starts;
    # what is tested here is how the browser's own failure reads.
    settings.FACESITE_SCRAPE_ALLOW_PRIVATE = True
    admin_web.post(
        reverse("scrape_start"),
        {
            "names": "Jane Doe",
            "per_identity": 5,
            "provider": "nowhere",
            "query_suffix": "",
            "detector": "haar",
        },
    )

    burst_work("scrape")

    job_run = JobRun.objects.get()
    assert job_run.status == JobRun.Status.FAILED
    assert job_run.error == (
        "Could not open the results page of Nowhere Images: its server's name could not be found (no DNS "
        "answer). Check this machine's network and the provider's search_url, then Retry."
    )
    assert job_run.log_tail == "The browser said: net::ERR_NAME_NOT_RESOLVED"
    page = admin_web.get(job_run.get_absolute_url()).content.decode()
    assert page.count("ERR_NAME_NOT_RESOLVED") == 1 and "Session info" not in page
