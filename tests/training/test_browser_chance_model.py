"""A model no better than guessing is flagged, and activating it takes a second, informed click."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from identities.models import AuditEvent
from pipeline.models import DatasetVersion
from recognition.models import ModelVersion
from tests.conftest import browser_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NAMES = [f"Person {number}" for number in range(1, 10)]


def chance_model() -> ModelVersion:
    """9 identities, every test face called Person 1: top-1 1/9, as the issue saw it."""
    classes = [{"identity_id": None, "name": name} for name in NAMES]
    per_identity = [
        {"label": label, "identity_id": None, "name": name, "test_faces": 1,
         "precision": 0.1111 if label == 0 else None, "recall": 1.0 if label == 0 else 0.0}
        for label, name in enumerate(NAMES)
    ]  # fmt: skip
    return ModelVersion.objects.create(
        dataset=DatasetVersion.objects.create(status=DatasetVersion.Status.READY),
        architecture="small_cnn",
        status="ready",
        classes=classes,
        metrics={"top1": 0.1111, "top5": 0.5556, "per_identity": per_identity},
    )


def test_activating_a_model_at_chance_asks_first(browser, live_server, admin):
    model_version = chance_model()
    browser_login(browser, live_server, "ada", path=model_version.get_absolute_url())

    warning = browser.find_element(By.ID, "chance-warning").text
    assert "no better than guessing" in warning and "calls every test face Person 1" in warning
    browser.find_element(
        By.XPATH, "//button[starts-with(normalize-space(), 'Activate for recognition')]"
    ).click()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.ID, "chance-confirm"))
    model_version.refresh_from_db()
    assert not model_version.is_active

    browser.find_element(By.XPATH, "//button[normalize-space()='Activate anyway']").click()
    WebDriverWait(browser, 10).until(lambda driver: "is now the active model" in driver.page_source)
    model_version.refresh_from_db()
    assert model_version.is_active
    assert AuditEvent.objects.filter(action="model.activate").count() == 1
