"""Fetching the next batch with crops left undecided says how many, in proper English."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.conftest import browser_login
from tests.factories import make_pending_faces

pytestmark = pytest.mark.browser


def press(browser, *keys: str) -> None:
    for key in keys:
        browser.find_element(By.TAG_NAME, "body").send_keys(key)


def test_the_undecided_count_agrees_with_its_verb(browser, live_server, reviewer, grace):
    make_pending_faces(grace, 3)
    browser_login(browser, live_server, "rita", path=f"/review/?identity={grace.pk}")
    # The page holds nothing until the reviewer takes a batch.
    WebDriverWait(browser, 10).until(
        lambda driver: "You hold no crops" in driver.find_element(By.ID, "review-batch").text
    )
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "#review-batch .review-face")) == 3
    )
    notice = browser.find_element(By.ID, "review-notice")

    press(browser, "a", Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda _: notice.text)
    two_left = notice.text
    press(browser, "a", Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda _: notice.text != two_left)

    assert two_left.startswith("2 crops still need a decision:")
    assert notice.text.startswith("1 crop still needs a decision:")
