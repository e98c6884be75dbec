"""Scraping from the browser form to faces in the review queue: real Chromium, worker and Redis."""

import pytest
from django.urls import reverse

from identities.models import Face, Identity, SourceImage
from pipeline.models import JobRun
from tests.jobs.conftest import EXPECTED_FAILURES, EXPECTED_IMAGES, EXPECTED_URLS, media_files
from tests.workers import burst_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_pasted_name_is_scraped_into_pending_faces(
    admin_web, rq_queues, scrape_providers, search_site, settings
):
    response = admin_web.post(
        reverse("scrape_start"),
        {
            "names": "Jane Doe\n",
            "per_identity": 100,
            "provider": "local-preview",
            "query_suffix": "portrait",
            "detector": "haar",
        },
    )
    assert response.status_code == 302
    identity = Identity.objects.get(name="Jane Doe")
    job_run = JobRun.objects.get()
    assert (job_run.kind, job_run.status, job_run.target_key) == (
        "scrape",
        "queued",
        f"identity:{identity.pk}",
    )

    burst_work("scrape")

    job_run.refresh_from_db()
    assert job_run.status == "finished", job_run.error
    assert search_site.queries == ["Jane Doe portrait"]
    assert job_run.summary["found"] == EXPECTED_URLS
    assert job_run.summary["images"] == EXPECTED_IMAGES
    assert job_run.summary["duplicates"] == 1
    assert job_run.summary["failures"] == EXPECTED_FAILURES
    assert (job_run.progress_done, job_run.progress_total) == (EXPECTED_URLS, EXPECTED_URLS)
    assert "/images/gone.jpg: dead link (HTTP 404)" in job_run.log_tail

    photos = SourceImage.objects.filter(identity=identity, status=SourceImage.Status.FACES)
    assert photos.count() == EXPECTED_IMAGES
    assert set(photos.values_list("origin", flat=True)) == {SourceImage.Origin.URL}
    first = photos.get(search_rank=1)
    assert first.origin_detail == f"{search_site.url}/images/photo-1.jpg"
    # The web page posing as an image is kept on record with the reason, like an import's.
    assert SourceImage.objects.get(
        identity=identity, status=SourceImage.Status.INVALID
    ).origin_detail.endswith("/images/page.jpg")
    assert Face.objects.filter(identity=identity, status=Face.Status.PENDING).count() == EXPECTED_IMAGES
    identity.refresh_from_db()
    assert identity.pending_count == EXPECTED_IMAGES
    stored = set(SourceImage.objects.exclude(file="").values_list("file", flat=True))
    stored |= set(Face.objects.values_list("file", flat=True))
    assert media_files(settings.MEDIA_ROOT) == stored
