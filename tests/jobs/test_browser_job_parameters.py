"""Long job parameters (a URL, many names) wrap inside their card instead of running out of it."""

import pytest
from selenium.webdriver.common.by import By

from pipeline.models import JobRun
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_long_parameters_stay_inside_their_card(browser, live_server, admin):
    job_run = JobRun.objects.create(
        kind="scrape",
        label="Jane Doe",
        parameters={
            "names": ["Jane Doe"] * 40,
            "search_url": "https://images.example.com/search?q=" + "jane-doe-portrait-" * 20,
        },
    )
    browser.set_window_size(1280, 900)

    browser_login(browser, live_server, "ada", path=job_run.get_absolute_url())

    table = browser.find_element(By.CSS_SELECTOR, ".job-parameters")
    card = table.find_element(By.XPATH, "ancestor::div[contains(@class, 'card')][1]")
    card_right = browser.execute_script("return arguments[0].getBoundingClientRect().right", card)
    table_right = browser.execute_script("return arguments[0].getBoundingClientRect().right", table)
    assert table_right <= card_right
