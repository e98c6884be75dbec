"""The jobs page moves its progress bars and buttons as jobs advance, without reloading."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.models import JobRun
from tests.conftest import browser_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_progress_and_actions_follow_the_job_live(browser, live_server, admin, rq_queues):
    job_run = JobRun.objects.create(
        kind="scrape",
        label="Jane Doe",
        status=JobRun.Status.RUNNING,
        progress_done=1,
        progress_total=10,
        current_step="Downloading 10 images",
    )
    # An RQ job that no worker takes, so that the page finds the run's job alive in Redis.
    next(queue for queue in rq_queues if queue.name == "scrape").enqueue(
        "builtins.print", job_id=job_run.rq_job_id
    )
    browser_login(browser, live_server, "ada", path="/jobs/")
    row = WebDriverWait(browser, 15).until(
        lambda _: browser.find_element(By.CSS_SELECTOR, f'tr[data-job-id="{job_run.pk}"]')
    )
    browser.execute_script("window.loadedOnce = true;")
    assert row.find_element(By.CSS_SELECTOR, ".job-count").text == "1 / 10"

    JobRun.objects.filter(pk=job_run.pk).update(progress_done=7)
    WebDriverWait(browser, 10).until(
        lambda _: row.find_element(By.CSS_SELECTOR, ".job-count").text == "7 / 10"
    )
    assert row.find_element(By.CSS_SELECTOR, ".progress span").get_attribute("style") == "width: 70%;"

    job_run.refresh_from_db()
    job_run.fail("The job failed: something broke.")
    WebDriverWait(browser, 10).until(
        lambda _: row.find_element(By.CSS_SELECTOR, ".job-status").text == "Failed"
    )
    assert row.find_element(By.CSS_SELECTOR, ".job-step").text == "The job failed: something broke."
    assert not row.find_element(By.CSS_SELECTOR, 'form[data-action="stop"]').is_displayed()
    assert row.find_element(By.CSS_SELECTOR, 'form[data-action="retry"]').is_displayed()
    assert browser.execute_script("return window.loadedOnce === true;")
