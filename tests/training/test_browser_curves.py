"""The model page redraws its curves from the status endpoint while a model trains."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.models import DatasetVersion
from recognition.models import ModelVersion
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def epoch_row(epoch: int) -> dict:
    return {
        "epoch": epoch,
        "loss": 2 / epoch,
        "accuracy": 0.3 * epoch,
        "val_loss": 2.2 / epoch,
        "val_accuracy": 0.25 * epoch,
        "seconds": 1.0,
        "images_per_second": 100.0,
    }


def test_curves_grow_while_training_and_the_page_shows_the_end(browser, live_server, admin):
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY)
    model_version = ModelVersion.objects.create(
        dataset=dataset, architecture="small_cnn", status="training", history=[epoch_row(1), epoch_row(2)]
    )
    browser_login(browser, live_server, "ada", path=f"/models/{model_version.pk}/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#curve-loss polyline")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, "#epoch-table tbody tr")) == 2

    ModelVersion.objects.filter(pk=model_version.pk).update(history=[epoch_row(e) for e in (1, 2, 3)])
    WebDriverWait(browser, 20).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "#epoch-table tbody tr")) == 3
    )
    points = browser.find_element(By.CSS_SELECTOR, "#curve-accuracy polyline").get_attribute("points")
    assert len(points.split()) == 3

    ModelVersion.objects.filter(pk=model_version.pk).update(status="ready")
    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_element(By.ID, "model-status").text == "Ready"
    )
