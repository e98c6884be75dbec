"""The Jobs page hides the gallery updates the site queues by itself, unless asked."""

import pytest
from django.urls import reverse

from pipeline.models import JobRun

pytestmark = pytest.mark.django_db


def test_gallery_updates_are_hidden_until_the_filter_is_turned_off(admin_web, rq_queues):
    scrape = JobRun.objects.create(kind="scrape", label="Jane Doe", status=JobRun.Status.FINISHED)
    gallery = JobRun.objects.create(kind="gallery", label="Gallery embeddings", status=JobRun.Status.FINISHED)

    by_default = admin_web.get(reverse("job_list"))
    shown = admin_web.get(reverse("job_list"), {"show_automatic": "on"}).context["page"]
    by_kind = admin_web.get(reverse("job_list"), {"kind": "gallery"}).context["page"]

    assert list(by_default.context["page"]) == [scrape]
    assert "Show gallery updates" in by_default.content.decode()
    assert "1 job (1 gallery update hidden)" in by_default.content.decode()
    assert set(shown) == {scrape, gallery}
    assert list(by_kind) == [gallery]
