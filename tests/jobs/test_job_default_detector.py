"""Every path that starts a job offers recognition's detector first, MTCNN (README, "Face
detectors": YuNet's LFW figure, 98.87%, is under the 98.9% a new default must reach), and
`manage.py import_faces` alone defaults to YuNet."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from pipeline.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("page", ["scrape_start", "import_upload", "recrop_start"])
def test_each_job_form_starts_with_mtcnn_chosen(admin_web, page):
    form = admin_web.get(reverse(page)).content.decode()

    assert '<option value="mtcnn" selected>' in form
    assert '<option value="yunet">' in form


def test_the_scrape_command_finds_faces_with_mtcnn_unless_told(rq_queues, scrape_providers):
    call_command("scrape", "Jane Doe", "--provider", "local", stdout=io.StringIO())

    assert JobRun.objects.get().parameters["detector"] == "mtcnn"
