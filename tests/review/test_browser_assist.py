"""A reviewer cleans a scraped identity with assistance: the suspicious crops first with who
they look like, rejected with R 1, and every other crop approved with Shift+A."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from identities.models import Face, ReviewVote
from tests.conftest import browser_login
from tests.factories import make_identity, make_pending_faces
from tests.review.assessments import assess
from tests.review.test_browser_review import batch_text, crops, press, wait_until_saved

pytestmark = pytest.mark.browser
CROPS = 12


def test_suspicious_first_rejected_then_the_rest_approved_with_one_key(
    settings, browser, live_server, reviewer, grace
):
    settings.FACESITE_REVIEW_ASSIST = "trust"
    ada = make_identity("Ada Lovelace")
    faces = make_pending_faces(grace, CROPS)
    # The last two crops are someone else's: the page must show them first.
    suspicious = faces[-2:]
    for face in faces[:-2]:
        assess(face, "likely", score=0.7)
    for face in suspicious:
        assess(face, "other", score=0.1, lookalike=ada)

    browser_login(browser, live_server, "rita", path=f"/review/?identity={grace.pk}")
    WebDriverWait(browser, 10).until(lambda _: "You hold no crops" in batch_text(browser))
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda _: len(crops(browser)) == CROPS)
    shown = [int(crop.get_attribute("data-face-id")) for crop in crops(browser)]
    assert shown[:2] == [face.pk for face in suspicious]
    assert "looks like Ada Lovelace" in crops(browser)[0].text
    assert "Likely this person" in crops(browser)[2].text

    press(browser, "r", "1", "r", "1", "A")
    wait_until_saved(browser)
    marks = [crop.find_element(By.CLASS_NAME, "review-mark").text for crop in crops(browser)]
    assert marks[:2] == ["✗ wrong person"] * 2 and set(marks[2:]) == {"✓ approved"}

    assert ReviewVote.objects.filter(reviewer=reviewer).count() == CROPS
    statuses = dict(Face.objects.filter(identity=grace).values_list("pk", "status"))
    # Trusted crops are decided by this one vote; the suspicious ones wait for a second reviewer.
    assert all(statuses[face.pk] == Face.Status.APPROVED for face in faces[:-2])
    assert all(statuses[face.pk] == Face.Status.PENDING for face in suspicious)
