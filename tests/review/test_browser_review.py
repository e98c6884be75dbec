"""Two reviewers, each in their own headless Chromium, review one identity at once with the
keyboard; a reviewer narrows the queue to one identity with the filter's picker."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from facesite import roles
from identities.models import AuditEvent, Face, ReviewVote
from tests.conftest import browser_login, chromium_start, make_user, page_left
from tests.factories import make_identity, make_pending_faces
from tests.identities.test_browser_curation_keyboard import csp_violations, pick_with_keyboard

pytestmark = pytest.mark.browser
CROPS = 10


@pytest.fixture
def second_browser(tmp_path):
    driver = chromium_start(tmp_path / "second-chromium-profile")
    yield driver
    driver.quit()


def press(browser, *keys: str) -> None:
    for key in keys:
        browser.find_element(By.TAG_NAME, "body").send_keys(key)


def crops(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, "#review-batch .review-face")


def wait_until_saved(browser) -> None:
    state = browser.find_element(By.ID, "review-save-state")
    WebDriverWait(browser, 15).until(lambda _: state.get_attribute("data-unsaved") == "0")
    assert state.text == "All decisions saved"


def batch_text(browser) -> str:
    return browser.find_element(By.ID, "review-batch").text


def open_queue(browser, live_server, username: str, identity, crops_expected: int = CROPS) -> None:
    """Log in on the review page, which holds nothing yet, and take a batch with Enter."""
    browser_login(browser, live_server, username, path=f"/review/?identity={identity.pk}")
    WebDriverWait(browser, 10).until(lambda _: "You hold no crops" in batch_text(browser))
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda _: len(crops(browser)) == crops_expected)


def test_two_reviewers_clean_an_identity_together(browser, second_browser, live_server, reviewer, grace):
    faces = make_pending_faces(grace, CROPS)
    make_user("rob", roles.REVIEWER)
    rita_browser, rob_browser = browser, second_browser
    open_queue(rita_browser, live_server, "rita", grace)
    open_queue(rob_browser, live_server, "rob", grace)
    # Each sees the whole identity: every crop needs two votes.
    assert [crop.get_attribute("data-face-id") for crop in crops(rob_browser)] == [str(f.pk) for f in faces]

    # Rob rejects the first crop as not a face, approves the second, takes that back and
    # rejects it for poor quality instead, while Rita approves her first crop.
    press(rob_browser, "r", "2")
    press(rita_browser, "a")
    press(rob_browser, "a", "u")
    assert "current" in crops(rob_browser)[1].get_attribute("class")
    press(rob_browser, "r", "3")
    assert crops(rob_browser)[1].find_element(By.CLASS_NAME, "review-mark").text == "✗ poor quality"
    wait_until_saved(rob_browser)

    # The help overlay lists every key.
    press(rita_browser, "?")
    help_text = rita_browser.find_element(By.ID, "review-help").text
    assert all(key in help_text for key in ("A", "R then a digit", "U", "Enter", "Shift", "S"))
    press(rita_browser, Keys.ESCAPE)
    assert not rita_browser.find_element(By.ID, "review-help").is_displayed()

    # Rita approves the rest one by one while Rob approves his rest in one go.
    press(rita_browser, "a", "a", "a")
    press(rob_browser, "A")
    press(rita_browser, *["a"] * (CROPS - 4))
    for browser_ in (rita_browser, rob_browser):
        wait_until_saved(browser_)
        press(browser_, Keys.ENTER)
        # Every crop is decided or, for the two splits, already holds this reviewer's vote.
        WebDriverWait(browser_, 10).until(
            lambda driver: "Nothing left for you to review in" in batch_text(driver)
        )

    first, second, *rest = (Face.objects.get(pk=face.pk) for face in faces)
    assert (first.status, first.approve_votes, first.reject_votes) == ("pending", 1, 1)
    assert (second.status, second.approve_votes, second.reject_votes) == ("pending", 1, 1)
    assert {(face.status, face.approve_votes) for face in rest} == {("approved", 2)}
    assert set(ReviewVote.objects.filter(reviewer__username="rob").values_list("face_id", "reason")) >= {
        (first.pk, "not_a_face"),
        (second.pk, "poor_quality"),
    }
    assert ReviewVote.objects.count() == 2 * CROPS
    assert AuditEvent.objects.filter(
        action="review.undo", actor__username="rob", target_id=second.pk
    ).exists()
    grace.refresh_from_db()
    assert (grace.pending_count, grace.approved_count) == (2, CROPS - 2)


def test_decisions_made_offline_are_kept_and_sent_later(browser, live_server, reviewer, grace):
    faces = make_pending_faces(grace, CROPS)
    open_queue(browser, live_server, "rita", grace)
    browser.set_network_conditions(offline=True, latency=0, download_throughput=-1, upload_throughput=-1)
    press(browser, "a", "r", "4")
    state = browser.find_element(By.ID, "review-save-state")
    WebDriverWait(browser, 10).until(lambda _: "2 unsaved" in state.text)
    assert "unsaved" in crops(browser)[0].get_attribute("class")
    assert not ReviewVote.objects.exists()

    browser.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    wait_until_saved(browser)
    votes = dict(ReviewVote.objects.values_list("face_id", "reason"))
    assert votes == {faces[0].pk: "", faces[1].pk: "duplicate"}


def test_a_reviewer_picks_an_identity_to_review_by_typing_part_of_its_name(
    browser, live_server, reviewer, grace
):
    make_pending_faces(grace, 3)
    ada_faces = make_pending_faces(make_identity("Ada Lovelace"), 2)
    make_pending_faces(make_identity("Adam Smith"), 2)
    open_queue(browser, live_server, "rita", grace, crops_expected=3)
    field = browser.find_element(By.CSS_SELECTOR, "input[name=identity_name][data-identity-picker]")
    # The filter shows the identity the page was opened for.
    assert field.get_attribute("value") == "Grace Hopper"

    # Typing "a" and arrowing in the picker neither approves a held crop nor moves the cursor.
    field.clear()
    assert pick_with_keyboard(browser, field, "ada") == "Ada Lovelace"
    assert "current" in crops(browser)[0].get_attribute("class")
    assert "pending" in browser.find_element(By.ID, field.get_attribute("aria-controls")).get_attribute(
        "textContent"
    )
    field.send_keys(Keys.ENTER)
    page_left(browser, field)

    field = browser.find_element(By.CSS_SELECTOR, "input[name=identity_name]")
    assert field.get_attribute("value") == "Ada Lovelace"
    WebDriverWait(browser, 10).until(lambda _: "You hold no crops" in batch_text(browser))
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda _: len(crops(browser)) == 2)
    assert [crop.get_attribute("data-face-id") for crop in crops(browser)] == [str(f.pk) for f in ada_faces]
    assert "Ada Lovelace" in batch_text(browser)
    assert not ReviewVote.objects.exists()
    assert csp_violations(browser) == []
