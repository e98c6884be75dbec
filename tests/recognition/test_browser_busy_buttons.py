"""Slow actions show at once that they are under way: the button turns into "Working…"."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import browser_login, make_user
from tests.training.builders import make_tiny_dataset

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHOTO = Path(__file__).parents[1] / "fixtures" / "celeba" / "7221" / "025916.jpg"
# Registered after the page's own script, so the page's handler has run when the
# browser is kept from leaving: the test reads the page as the user sees it meanwhile.
STAY_ON_PAGE = 'document.addEventListener("{event}", (event) => event.preventDefault());'


def test_recognize_disables_its_button_while_it_works(browser, live_server):
    make_user("ursula", "uploader")
    browser_login(browser, live_server, "ursula", path="/recognize/")
    browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(PHOTO))
    browser.execute_script(STAY_ON_PAGE.format(event="submit"))
    button = browser.find_element(By.XPATH, "//button[normalize-space()='Recognize']")

    button.click()

    assert button.text == "Working…"
    assert not button.is_enabled()


def test_the_augmentation_preview_link_says_it_is_working(browser, live_server, admin):
    dataset = make_tiny_dataset(identities=2)
    browser_login(browser, live_server, "ada", path=f"/datasets/{dataset.pk}/")
    browser.execute_script(STAY_ON_PAGE.format(event="click"))
    link = browser.find_element(By.LINK_TEXT, "Preview augmentation")

    link.click()

    assert link.text == "Working…"
    assert link.get_attribute("aria-disabled") == "true"
