import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from facesite import roles
from facesite.redis_server import redis_server_start

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Keep an SQLite test database in a file rather than in memory.

    RQ runs jobs in a forked work horse or in a separate worker process; both must see
    what a test wrote, which an in-memory database cannot offer.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and not database.get("TEST", {}).get("NAME"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def test_settings(settings, tmp_path):
    """Each test writes images under its own folder, serves static files unhashed, and
    hashes passwords with a fast (insecure) hasher, since tests create many users.

    The gallery searches FaceNet's rows alone, one network per face where the default
    fused embedder runs two; tests/recognition/test_fused_embedder.py covers the default.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FACESITE_GALLERY_EMBEDDER = "facenet"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set (CI points it at a real server), else a private redis-server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    directory = Path(tempfile.mkdtemp(prefix="facesite-redis-"))
    process = redis_server_start(directory / "redis.sock", directory)
    yield f"unix://{directory / 'redis.sock'}?db=0"
    process.terminate()
    process.wait()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def rq_queues(settings, redis_url):
    """Point every RQ queue at the test Redis and empty them before and after the test."""
    import django_rq

    settings.RQ_QUEUES = {name: {**config, "URL": redis_url} for name, config in settings.RQ_QUEUES.items()}
    queues = [django_rq.get_queue(name) for name in settings.RQ_QUEUES]
    for queue in queues:
        queue.empty()
    yield queues
    for queue in queues:
        queue.empty()


def make_user(username: str, *role_names: str, password: str = "correct horse battery staple"):
    user = get_user_model().objects.create_user(username=username, password=password)
    user.groups.set(Group.objects.filter(name__in=role_names))
    return user


@pytest.fixture
def admin(db):
    return make_user("ada", roles.ADMIN)


@pytest.fixture
def reviewer(db):
    return make_user("rita", roles.REVIEWER)


@pytest.fixture
def uploader(db):
    return make_user("uma", roles.UPLOADER)


@pytest.fixture
def outsider(db):
    return make_user("otto")


@pytest.fixture
def admin_web(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def reviewer_web(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def uploader_web(client, uploader):
    client.force_login(uploader)
    return client


@pytest.fixture
def outsider_web(client, outsider):
    client.force_login(outsider)
    return client


def chromium_start(profile_directory: Path):
    """Headless Debian Chromium driven by Selenium, with a profile of its own.

    Skips the test where the Debian packages are missing, and fails it in CI.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        message = "Browser tests need Debian's packages: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={profile_directory}",
    ):
        options.add_argument(argument)
    # The console, for tests that read it (driver.get_log("browser")): CSP violations land there.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser(tmp_path):
    """A fresh headless Chromium for each test."""
    driver = chromium_start(tmp_path / "chromium-profile")
    yield driver
    driver.quit()


def browser_login(
    browser, live_server, username: str, password: str = "correct horse battery staple", path: str = "/"
) -> None:
    """Open path, which sends an anonymous visitor to the login page, log in there, and
    return once the browser has left the login form (for the next page, or the form again
    with an error), so the caller never reads the page being replaced."""
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}{path}")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    submit = browser.find_element(By.CSS_SELECTOR, "button[type=submit]")
    submit.click()
    page_left(browser, submit)


def page_left(browser, element, timeout: float = 10) -> None:
    """Wait until the page that holds `element` has been replaced by the next one.

    Asked about an element of a page being left, chromedriver now and then answers "Node
    with given id does not belong to the document" instead of a stale element (seen once
    in CI on PostgreSQL): that means the page is gone too.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def left(_) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" not in str(error):
                raise
            return True
        return False

    WebDriverWait(browser, timeout).until(left)
