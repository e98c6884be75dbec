"""Every path that starts a job offers recognition's detector first, YuNet (README, "Face
detectors": with the gallery's fused embedding its LFW figure is 99.15%, over the 98.9% a
new default must reach), as `manage.py import_faces` does."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from pipeline.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("page", ["scrape_start", "import_upload", "recrop_start"])
def test_each_job_form_starts_with_yunet_chosen(admin_web, page):
    form = admin_web.get(reverse(page)).content.decode()

    assert '<option value="yunet" selected>' in form
    assert '<option value="mtcnn">' in form


def test_the_scrape_command_finds_faces_with_yunet_unless_told(rq_queues, scrape_providers):
    call_command("scrape", "Jane Doe", "--provider", "local", stdout=io.StringIO())

    assert JobRun.objects.get().parameters["detector"] == "yunet"
