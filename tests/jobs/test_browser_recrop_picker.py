"""The re-crop form's picker by keyboard: the pick fills the name field, and the job starts
for that identity."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from pipeline.models import JobRun
from tests.conftest import browser_login, page_left
from tests.factories import make_identity
from tests.identities.test_browser_curation_keyboard import csp_violations, pick_with_keyboard

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_picking_the_identity_by_keyboard_recrops_it(browser, live_server, admin, rq_queues):
    make_identity("Jane Doe")
    john = make_identity("John Roe")
    browser_login(browser, live_server, "ada", path="/jobs/recrop/")
    field = browser.find_element(By.CSS_SELECTOR, "input[name=identity][data-identity-picker]")

    assert pick_with_keyboard(browser, field, "roe") == "John Roe"
    button = browser.find_element(By.XPATH, "//button[normalize-space()='Start re-cropping']")
    button.send_keys(Keys.ENTER)
    page_left(browser, button)

    assert JobRun.objects.get(kind="recrop").target_key == f"identity:{john.pk}"
    assert csp_violations(browser) == []
