"""While a model trains, its page keeps its facts current and its curves name their axes."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.models import DatasetVersion, JobRun
from recognition.models import ModelVersion
from tests.conftest import browser_login
from tests.training.test_browser_curves import epoch_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_job_status_and_epochs_follow_training(browser, live_server, admin):
    job_run = JobRun.objects.create(kind="train", label="Model", status=JobRun.Status.QUEUED)
    model_version = ModelVersion.objects.create(
        dataset=DatasetVersion.objects.create(status=DatasetVersion.Status.READY),
        architecture="small_cnn",
        status="queued",
        config={"epochs": 30},
        classes=[{"identity_id": None, "name": name} for name in ("Ada", "Bob", "Cy")],
        job=job_run,
    )
    browser_login(browser, live_server, "ada", path=model_version.get_absolute_url())
    assert browser.find_element(By.ID, "model-classes").text == "3"
    assert browser.find_element(By.ID, "model-job-status").text == "queued"

    JobRun.objects.filter(pk=job_run.pk).update(status=JobRun.Status.RUNNING)
    ModelVersion.objects.filter(pk=model_version.pk).update(
        status="training", history=[epoch_row(1), epoch_row(2)]
    )
    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_element(By.ID, "model-job-status").text == "running"
    )
    assert browser.find_element(By.ID, "model-epochs").text == "2 of at most 30"
    for chart, title in (("curve-loss", "Loss"), ("curve-accuracy", "Accuracy")):
        labels = [label.text for label in browser.find_elements(By.CSS_SELECTOR, f"#{chart} text.axis-label")]
        assert labels == ["Epoch", title]
