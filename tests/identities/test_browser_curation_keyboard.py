"""Curation by keyboard in a real browser: tick faces or identities with Space, pick the
target with the picker (type, arrow down, Enter), and Enter again submits."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from identities.models import Face, Identity
from tests.conftest import browser_login, page_left
from tests.factories import make_face, make_identity
from tests.recognition.gallery_rows import people_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def pick_with_keyboard(browser, field, text: str) -> str:
    """Type into the picker, wait for its list, arrow down to the first answer and Enter;
    returns the field's value after the pick."""
    field.send_keys(text)
    listbox = browser.find_element(By.ID, field.get_attribute("aria-controls"))
    WebDriverWait(browser, 10).until(lambda _: listbox.is_displayed())
    assert field.get_attribute("aria-expanded") == "true"
    field.send_keys(Keys.ARROW_DOWN)
    active = browser.find_element(By.ID, field.get_attribute("aria-activedescendant"))
    assert active.get_attribute("aria-selected") == "true"
    field.send_keys(Keys.ENTER)
    assert not listbox.is_displayed()
    return field.get_attribute("value")


def submit_with_enter(browser, field) -> None:
    field.send_keys(Keys.ENTER)
    page_left(browser, field)


def csp_violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def test_moving_the_farthest_face_by_keyboard(browser, live_server, admin):
    people = people_make()
    ada, bystander = people["ada"], people["bystander"]
    browser_login(browser, live_server, "ada", path=f"/identities/{ada.pk}/curate/")

    # The farthest face from Ada's core comes first: Bea's face filed under Ada.
    first_box = browser.find_element(By.CSS_SELECTOR, "input[name=face]")
    assert first_box.get_attribute("value") == str(bystander.pk)
    first_box.send_keys(Keys.SPACE)
    assert first_box.is_selected()
    field = browser.find_element(By.CSS_SELECTOR, "input[data-identity-picker]")
    field.send_keys("b")
    field.send_keys(Keys.ESCAPE)
    field.send_keys(Keys.BACKSPACE)
    assert pick_with_keyboard(browser, field, "be") == "Bea"
    submit_with_enter(browser, field)

    assert "Moved 1 face from Ada to Bea." in browser.find_element(By.TAG_NAME, "body").text
    bystander.refresh_from_db()
    assert bystander.identity == people["bea"] and bystander.status == Face.Status.APPROVED
    assert csp_violations(browser) == []


def test_merging_identities_from_the_list_by_keyboard(browser, live_server, admin):
    target = make_identity("Ada Lovelace")
    sources = [make_identity("Ada"), make_identity("Countess of Lovelace")]
    for identity in (target, *sources):
        make_face(identity, Face.Status.APPROVED)
    browser_login(browser, live_server, "ada", path="/identities/")

    for source in sources:
        box = browser.find_element(By.CSS_SELECTOR, f"input[name=identity][value='{source.pk}']")
        box.send_keys(Keys.SPACE)
        assert box.is_selected()
    field = browser.find_element(By.CSS_SELECTOR, "input[data-identity-picker]")
    assert pick_with_keyboard(browser, field, "ada l") == "Ada Lovelace"
    submit_with_enter(browser, field)
    assert "Merge 2 identities into Ada Lovelace?" in browser.find_element(By.TAG_NAME, "h1").text
    confirm = browser.find_element(By.XPATH, "//button[normalize-space()='Merge into Ada Lovelace']")
    confirm.send_keys(Keys.ENTER)
    page_left(browser, confirm)

    assert "Merged 2 identities into Ada Lovelace" in browser.find_element(By.TAG_NAME, "body").text
    assert list(Identity.objects.values_list("name", flat=True)) == ["Ada Lovelace"]
    assert Identity.objects.get().approved_count == 3
    assert csp_violations(browser) == []
