"""The scrape form's picker by keyboard: each pick becomes a ticked box and the field
empties for the next; the job starts for every ticked identity."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from pipeline.models import JobRun
from tests.conftest import browser_login, page_left
from tests.factories import make_identity
from tests.identities.test_browser_curation_keyboard import csp_violations, pick_with_keyboard

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_picking_two_identities_by_keyboard_scrapes_both(
    browser, live_server, admin, rq_queues, scrape_providers
):
    jane, john = make_identity("Jane Doe"), make_identity("John Roe")
    make_identity("Zed Zebra")
    browser_login(browser, live_server, "ada", path="/jobs/scrape/")
    field = browser.find_element(By.CSS_SELECTOR, "input[data-identity-picker]")

    assert pick_with_keyboard(browser, field, "jane") == ""
    assert pick_with_keyboard(browser, field, "john") == ""
    boxes = browser.find_elements(By.CSS_SELECTOR, "[data-picked] input[name=identities]")
    assert [(box.get_attribute("value"), box.is_selected()) for box in boxes] == [
        (str(jane.pk), True),
        (str(john.pk), True),
    ]
    button = browser.find_element(By.XPATH, "//button[normalize-space()='Start scraping']")
    button.send_keys(Keys.ENTER)
    page_left(browser, button)

    assert set(JobRun.objects.filter(kind="scrape").values_list("target_key", flat=True)) == {
        f"identity:{jane.pk}",
        f"identity:{john.pk}",
    }
    assert csp_violations(browser) == []
