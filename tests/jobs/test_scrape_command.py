"""`manage.py scrape` queues the same jobs as the browser, and they collect no more than asked."""

import io

import pytest
from django.core.management import CommandError, call_command

from identities.models import Identity, SourceImage
from pipeline.models import JobRun
from tests.workers import burst_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def scrape(*arguments: str) -> str:
    output = io.StringIO()
    call_command("scrape", *arguments, stdout=output)
    return output.getvalue()


def test_the_command_queues_one_job_per_name_and_the_job_stops_at_the_number_asked(
    rq_queues, scrape_providers
):
    first = scrape("Jane Doe", "--per-identity", "5", "--provider", "local")
    again = scrape("jane doe", "--per-identity", "5", "--provider", "local")

    job_run = JobRun.objects.get()
    assert first == f"{job_run}: queued\n"
    assert again == f"{job_run}: already queued\n"
    burst_work("scrape")
    job_run.refresh_from_db()
    # The first five results: three photos, a dead link and a slow one.
    assert job_run.summary["found"] == 5
    assert job_run.summary["images"] == 3
    assert job_run.summary["failures"] == {"dead link": 1, "timeout": 1}
    identity = Identity.objects.get(name="Jane Doe")
    assert sorted(SourceImage.objects.filter(identity=identity).values_list("search_rank", flat=True)) == [
        1,
        3,
        5,
    ]


def test_an_unknown_provider_is_refused_before_anything_is_created(rq_queues, scrape_providers):
    with pytest.raises(
        CommandError, match="Unknown search provider 'altavista'; choose one of: bing, google, local"
    ):
        scrape("Jane Doe", "--provider", "altavista")
    assert not Identity.objects.exists()
