"""A reviewer who leaves the review page and comes back within the lease finds their crops."""

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from identities.models import ReviewLease, ReviewVote
from tests.conftest import browser_login
from tests.factories import make_pending_faces
from tests.review.test_browser_review import batch_text, crops, press, wait_until_saved

pytestmark = pytest.mark.browser


def test_the_crops_a_reviewer_holds_are_there_when_they_come_back(browser, live_server, reviewer, grace):
    faces = make_pending_faces(grace, 5)
    browser_login(browser, live_server, "rita", path="/review/")
    WebDriverWait(browser, 10).until(lambda _: "You hold no crops" in batch_text(browser))
    # Opening the page took nothing from the pool.
    assert not ReviewLease.objects.exists()
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda _: len(crops(browser)) == 5)
    press(browser, "a", "a")
    wait_until_saved(browser)

    browser.get(f"{live_server.url}/")
    browser.get(f"{live_server.url}/review/")
    WebDriverWait(browser, 10).until(lambda _: len(crops(browser)) == 3)
    assert [crop.get_attribute("data-face-id") for crop in crops(browser)] == [str(f.pk) for f in faces[2:]]
    assert "Nothing left" not in batch_text(browser) and "Grace Hopper" in batch_text(browser)
    press(browser, "a")
    wait_until_saved(browser)
    assert set(ReviewVote.objects.values_list("face_id", flat=True)) == {face.pk for face in faces[:3]}
