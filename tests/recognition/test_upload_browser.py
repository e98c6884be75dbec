"""In a real browser: a group photo comes back with a box per face, and the figures load."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import browser_login
from tests.recognition.uploads import JANE, JANE_AGAIN, JOHN, gallery_enrol, group_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_group_photo_is_boxed_and_its_figures_open(browser, live_server, uploader, rq_queues, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": [JANE_AGAIN]})
    photo_path = tmp_path / "group.jpg"
    photo_path.write_bytes(group_photo(JANE, JOHN))
    browser_login(browser, live_server, "uma", path="/recognize/")

    browser.find_element(By.NAME, "image").send_keys(str(photo_path))
    browser.find_element(By.CSS_SELECTOR, "button.primary[type=submit]").click()

    labels = [label.text for label in browser.find_elements(By.CSS_SELECTOR, ".box-label")]
    assert sorted(label.split(": ", 1)[1] for label in labels) == ["Jane Doe", "unknown"]
    photo = browser.find_element(By.CSS_SELECTOR, ".photo-boxes img")
    boxes = browser.find_elements(By.CSS_SELECTOR, ".photo-boxes rect")
    assert len(boxes) == 2
    for box in boxes:
        # Each drawn box lies on the photo as displayed, whatever its scale.
        assert (
            photo.rect["x"] <= box.rect["x"]
            and box.rect["x"] + box.rect["width"] <= photo.rect["x"] + photo.rect["width"]
        )
    browser.find_element(By.CSS_SELECTOR, "details.why summary").click()
    heat_map = browser.find_element(By.CSS_SELECTOR, "details.why img[src$='facenet-heatmap.png']")
    browser.execute_script("arguments[0].scrollIntoView()", heat_map)
    # Lazy images load once their details are open; the figure is drawn on that request.
    loaded_width = WebDriverWait(browser, 20).until(
        lambda driver: driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", heat_map
        )
    )
    assert loaded_width > 200
