"""Form errors stand out: every form's error list is drawn in the site's error colour."""

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import browser_login

pytestmark = pytest.mark.browser
# --bad in static/facesite/site.css.
ERROR_COLOUR = "rgba(194, 59, 59, 1)"


def test_a_refused_user_form_shows_its_errors_in_red(browser, live_server, admin):
    browser_login(browser, live_server, "ada", path="/users/new/")
    browser.find_element(By.NAME, "username").send_keys("rene")
    browser.find_element(By.NAME, "password1").send_keys("a sturdy passphrase 42")
    browser.find_element(By.NAME, "password2").send_keys("another passphrase 43")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    error = browser.find_element(By.CSS_SELECTOR, "ul.errorlist")
    assert "didn" in error.text or "match" in error.text
    assert error.value_of_css_property("color") == ERROR_COLOUR
