"""A scrape never reaches the server's own network: the browser stays on the results page's
host, and with FACESITE_SCRAPE_ALLOW_PRIVATE off a private image URL is a counted failure
while the job goes on."""

import json
import socket

import pytest
from django.urls import reverse

from pipeline import addresses
from pipeline.models import JobRun
from tests.jobs.conftest import EXPECTED_FAILURES, EXPECTED_IMAGES, EXPECTED_URLS
from tests.jobs.search_site import Result
from tests.workers import burst_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PRIVATE_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.8/photo.jpg",
    "http://photos.internal.example/photo.jpg",
]


def scrape(admin_web) -> JobRun:
    form = {"names": "Jane Doe", "per_identity": 100, "provider": "local", "detector": "haar"}
    assert admin_web.post(reverse("scrape_start"), form).status_code == 302
    burst_work("scrape")
    return JobRun.objects.get(kind="scrape")


def test_the_browser_does_not_load_what_the_page_asks_of_another_host(
    admin_web, rq_queues, scrape_providers, search_site
):
    job_run = scrape(admin_web)

    assert job_run.status == "finished", job_run.error
    assert job_run.summary["images"] == EXPECTED_IMAGES
    # The results page's image on localhost (the same server under another name) never loaded.
    assert search_site.requests["/internal/status.png"] == 0


def test_a_host_the_provider_names_in_browser_hosts_is_reached(
    admin_web, rq_queues, scrape_providers, search_site
):
    providers = json.loads(scrape_providers.read_text())
    providers[0]["browser_hosts"] = ["localhost"]
    scrape_providers.write_text(json.dumps(providers))

    job_run = scrape(admin_web)

    assert job_run.status == "finished", job_run.error
    assert search_site.requests["/internal/status.png"] == 1


def test_a_search_site_in_the_private_network_is_not_opened(
    admin_web, rq_queues, scrape_providers, search_site, settings
):
    settings.FACESITE_SCRAPE_ALLOW_PRIVATE = False

    job_run = scrape(admin_web)

    assert job_run.status == "failed"
    assert (
        "Local test search's results page is not searched: 127.0.0.1 is in a private network" in job_run.error
    )
    assert search_site.queries == []


def test_private_image_urls_are_counted_failures_and_the_job_goes_on(
    admin_web, rq_queues, scrape_providers, search_site, settings, monkeypatch
):
    settings.FACESITE_SCRAPE_ALLOW_PRIVATE = False
    # The search site stands for the internet here: its address counts as public.
    really_public = addresses.address_is_public
    monkeypatch.setattr(addresses, "address_is_public", lambda ip: ip == "127.0.0.1" or really_public(ip))
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *args, **kwargs: real_getaddrinfo(
            "192.168.7.7" if host == "photos.internal.example" else host, *args, **kwargs
        ),
    )
    search_site.results_for("Jane Doe").extend(Result(url) for url in PRIVATE_URLS)

    job_run = scrape(admin_web)

    assert job_run.status == "finished", job_run.error
    assert job_run.summary["found"] == EXPECTED_URLS + len(PRIVATE_URLS)
    assert job_run.summary["images"] == EXPECTED_IMAGES
    assert job_run.summary["failures"] == {**EXPECTED_FAILURES, "private address": len(PRIVATE_URLS)}
    assert "169.254.169.254/latest/meta-data/iam/security-credentials/: private address" in job_run.log_tail
