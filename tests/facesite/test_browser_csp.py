"""Under the Content-Security-Policy the pages' own scripts run and an injected one does not."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from facesite import roles
from pipeline.models import DatasetVersion
from recognition.models import ModelVersion
from tests.conftest import browser_login, make_user
from tests.factories import make_identity, make_pending_faces
from tests.training.test_browser_curves import epoch_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
INJECTED = "const s = document.createElement('script'); s.textContent = 'window.injected = 1';"


def csp_violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def assert_injected_script_refused(browser) -> None:
    assert browser.execute_script(f"{INJECTED} document.body.appendChild(s); return window.injected") is None
    assert any("inline script" in message for message in csp_violations(browser))


def test_the_review_keyboard_flow_works_under_the_policy(browser, live_server, db):
    grace = make_identity("Grace Hopper")
    faces = make_pending_faces(grace, 4)
    make_user("rita", roles.REVIEWER)
    browser_login(browser, live_server, "rita", path=f"/review/?identity={grace.pk}")
    crops = lambda: browser.find_elements(By.CSS_SELECTOR, "#review-batch .review-face")  # noqa: E731
    # The page holds nothing until Enter takes a batch (a POST).
    WebDriverWait(browser, 10).until(
        lambda _: "You hold no crops" in browser.find_element(By.ID, "review-batch").text
    )
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda _: len(crops()) == len(faces))

    browser.find_element(By.TAG_NAME, "body").send_keys("a")
    assert "current" in crops()[1].get_attribute("class")
    state = browser.find_element(By.ID, "review-save-state")
    WebDriverWait(browser, 15).until(lambda _: state.get_attribute("data-unsaved") == "0")

    assert csp_violations(browser) == []
    assert_injected_script_refused(browser)


def test_the_model_page_draws_live_curves_under_the_policy(browser, live_server, db):
    make_user("ada", roles.ADMIN)
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY)
    model_version = ModelVersion.objects.create(
        dataset=dataset, architecture="small_cnn", status="training", history=[epoch_row(1), epoch_row(2)]
    )
    browser_login(browser, live_server, "ada", path=f"/models/{model_version.pk}/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#curve-loss polyline")) == 2

    ModelVersion.objects.filter(pk=model_version.pk).update(history=[epoch_row(e) for e in (1, 2, 3)])
    WebDriverWait(browser, 20).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "#epoch-table tbody tr")) == 3
    )
    # The page's own <style> block, which carries the nonce, applies.
    border = "return getComputedStyle(document.getElementById('curve-loss')).borderTopStyle"
    assert browser.execute_script(border) == "solid"
    assert csp_violations(browser) == []
    assert_injected_script_refused(browser)


PAGES = [
    "/",
    "/identities/",
    "/identities/new/",
    "/identities/bulk-add/",
    "/identities/{identity}/",
    "/identities/{identity}/curate/",
    "/identities/{identity}/merge/",
    "/gallery/same-person/",
    "/review/",
    "/review/conflicts/",
    "/review/stats/",
    "/recognize/",
    "/verify/",
    "/jobs/",
    "/jobs/scrape/",
    "/jobs/import/",
    "/datasets/",
    "/datasets/new/",
    "/models/",
    "/models/new/",
    "/models/{model}/",
    "/users/",
    "/audit/",
    "/account/tokens/",
    "/api/",
]


def test_no_page_breaks_the_policy(browser, live_server, db):
    make_user("all", roles.ADMIN, roles.REVIEWER, roles.UPLOADER)
    identity = make_identity("Grace Hopper")
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY)
    model_version = ModelVersion.objects.create(dataset=dataset, architecture="small_cnn", status="ready")
    browser_login(browser, live_server, "all")
    for path in PAGES:
        browser.get(f"{live_server.url}{path.format(identity=identity.pk, model=model_version.pk)}")
        assert browser.find_element(By.TAG_NAME, "h1").text, path
        assert csp_violations(browser) == [], path
    assert_injected_script_refused(browser)
