import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_a_person_logs_in_and_out_in_a_real_browser(browser, live_server, admin):
    browser_login(browser, live_server, "ada", path="/identities/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Identities"
    browser.find_element(By.CSS_SELECTOR, ".account button").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/login/"))


def test_a_wrong_password_is_told_plainly(browser, live_server, admin):
    browser_login(browser, live_server, "ada", password="wrong")
    assert "/login/" in browser.current_url
    assert "didn't match" in browser.find_element(By.CSS_SELECTOR, ".error").text
