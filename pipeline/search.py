"""Collecting full-size image URLs from an image search in headless Chromium.

Selenium is imported inside these functions: only scrape workers load it.
"""

import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlparse

from django.conf import settings

from facesite.errors import FacesiteError
from pipeline.addresses import AddressRefused, public_addresses
from pipeline.providers import SearchProvider

logger = logging.getLogger(__name__)

# Debian's packages; Selenium is pointed at them so that it never tries to download a
# browser or a driver (Selenium Manager), which would fail without internet anyway.
CHROMIUM_BINARY = Path("/usr/bin/chromium")
CHROMEDRIVER_BINARY = Path("/usr/bin/chromedriver")
CHROMIUM_ARGUMENTS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1600",
    # WebRTC must not open UDP around the proxy below (to reach addresses from JavaScript).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]
# Chromium's network error codes in plain words, for the error people read on the job.
BROWSER_NETWORK_ERRORS = {
    "ERR_NAME_NOT_RESOLVED": "its server's name could not be found (no DNS answer)",
    "ERR_INTERNET_DISCONNECTED": "this machine has no network connection",
    "ERR_ADDRESS_UNREACHABLE": "its server cannot be reached from this machine",
    "ERR_CONNECTION_REFUSED": "its server refused the connection",
    "ERR_CONNECTION_RESET": "the connection was cut",
    "ERR_CONNECTION_CLOSED": "the connection was cut",
    "ERR_CONNECTION_TIMED_OUT": "its server did not answer in time",
    "ERR_TIMED_OUT": "its server did not answer in time",
    # Every host but the provider's goes to NOWHERE_PROXY below, which refuses it.
    "ERR_PROXY_CONNECTION_FAILED": "it is not one of the hosts the browser may reach (its browser_hosts)",
    "ERR_CERT_": "its TLS certificate is not valid",
    "ERR_SSL_": "the secure connection failed",
}
# The browser reaches the results page's own host and nothing else: every other request
# (another host, an IP address, loopback included once "<-loopback>" drops Chromium's
# implicit bypass) goes to this proxy, where nothing listens, and fails. So a results
# page's JavaScript cannot reach into the server's network; the image URLs it lists are
# fetched by the downloader, which checks each address (pipeline.downloads).
NOWHERE_PROXY = "http://127.0.0.1:9"
# How long a revealed preview may take to show the clicked result's image.
REVEAL_WAIT_SECONDS = 3.0
POLL_SECONDS = 0.05


def image_urls_collect(
    *, provider: SearchProvider, query: str, wanted: int, on_found: Callable[[int], None] | None = None
) -> list[str]:
    """Up to `wanted` distinct full-size image URLs for a query, in the order of the results.

    1. Open the provider's results page for the query in a fresh headless Chromium.
    2. Read the image URL of each result not read yet (clicking it first when the
       provider reveals images in a preview); keep http(s) URLs seen for the first time.
    3. While more are wanted: scroll to the bottom and wait for more results; when none
       come, click the provider's "more results" button if it shows; when there is none,
       the results have run out.
    """
    from selenium.common.exceptions import WebDriverException

    search_page_url = provider.search_page_url(query)
    with tempfile.TemporaryDirectory(prefix="facesite-chromium-") as profile_dir:
        driver = _chromium_start(Path(profile_dir), _network_arguments(provider, search_page_url))
        try:
            driver.get(search_page_url)
            return _urls_gather(driver, provider, wanted, on_found)
        except WebDriverException as error:
            raise BrowserFailed(provider, error.msg or "") from None
        finally:
            driver.quit()


class BrowserFailed(FacesiteError):
    """The browser could not search: the message in plain words, Chromium's own in `detail`."""

    def __init__(self, provider: SearchProvider, browser_message: str) -> None:
        # Chromium's first line, without the "unknown error:" prefix or the session's version.
        first_line = browser_message.strip().splitlines()[0] if browser_message.strip() else "no reason given"
        self.detail = first_line.removeprefix("unknown error: ")
        reason = next(
            (plain for code, plain in BROWSER_NETWORK_ERRORS.items() if f"net::{code}" in self.detail),
            None,
        )
        if reason:
            message = (
                f"Could not open the results page of {provider.label}: {reason}. "
                "Check this machine's network and the provider's search_url, then Retry."
            )
        else:
            message = (
                f"The browser stopped while searching {provider.label}. Retry; the log has its own words."
            )
        super().__init__(message)


def _network_arguments(provider: SearchProvider, url: str) -> list[str]:
    """Chromium arguments that keep the browser on the results page's host and the
    provider's browser_hosts.

    Unless FACESITE_SCRAPE_ALLOW_PRIVATE, each of those hosts must resolve to public
    addresses only, and Chromium is told to use the address checked here, so a name
    cannot resolve elsewhere when the browser looks it up again.
    """
    hosts = [urlparse(url).hostname or "", *provider.browser_hosts]
    bypass = ";".join(["<-loopback>", *hosts])
    arguments = [f"--proxy-server={NOWHERE_PROXY}", f"--proxy-bypass-list={bypass}"]
    if settings.FACESITE_SCRAPE_ALLOW_PRIVATE:
        return arguments
    rules = ",".join(f"MAP {host} {_checked_address(provider, host)}" for host in hosts)
    return [*arguments, f"--host-resolver-rules={rules}"]


def _checked_address(provider: SearchProvider, host: str) -> str:
    """A public address of host, as Chromium writes it, or FacesiteError."""
    try:
        address = public_addresses(host, 443)[0]
    except AddressRefused as refusal:
        raise FacesiteError(f"{provider.label}'s results page is not searched: {refusal}.") from None
    except OSError:
        raise FacesiteError(
            f"{provider.label}'s results page is not searched: {host} has no address."
        ) from None
    return f"[{address}]" if ":" in address else address


def _chromium_start(profile_dir: Path, network_arguments: list[str]):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM_BINARY.exists() and CHROMEDRIVER_BINARY.exists()):
        raise FacesiteError(
            "Scraping needs Chromium and its driver: apt-get install chromium chromium-driver "
            f"(looked for {CHROMIUM_BINARY} and {CHROMEDRIVER_BINARY})."
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM_BINARY)
    for argument in [*CHROMIUM_ARGUMENTS, *network_arguments, f"--user-data-dir={profile_dir}"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER_BINARY)))
    # Elements are waited for explicitly; an implicit wait would stall every empty lookup.
    driver.implicitly_wait(0)
    return driver


def _urls_gather(driver, provider: SearchProvider, wanted: int, on_found) -> list[str]:
    from selenium.webdriver.common.by import By

    urls: dict[str, None] = {}
    read = 0
    while len(urls) < wanted:
        results = driver.find_elements(By.CSS_SELECTOR, provider.result_selector)
        for result in results[read:]:
            url = _result_image_url(driver, provider, result)
            if url and url not in urls:
                urls[url] = None
                if on_found:
                    on_found(len(urls))
                if len(urls) >= wanted:
                    break
        read = len(results)
        if len(urls) < wanted and not _more_results_load(driver, provider, read):
            break
    return list(urls)


def _result_image_url(driver, provider: SearchProvider, result) -> str | None:
    """The full-size image URL behind one result, or None if it has none we can use."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    try:
        if provider.reveal_selector:
            value = _revealed_value(driver, provider, result)
        else:
            source = result
            if provider.image_url_selector:
                source = result.find_element(By.CSS_SELECTOR, provider.image_url_selector)
            value = source.get_attribute(provider.image_url_attribute)
    except WebDriverException as error:
        # A result that vanished or has another shape is skipped, not the whole search.
        logger.info("Skipped a result of %s: %s", provider.name, error.msg)
        return None
    if value and provider.image_url_json_key:
        try:
            value = json.loads(value).get(provider.image_url_json_key)
        except (ValueError, AttributeError):
            return None
    if not value:
        return None
    url = urljoin(driver.current_url, value)
    return url if urlparse(url).scheme in ("http", "https") else None


def _revealed_value(driver, provider: SearchProvider, result) -> str | None:
    """Click a result and read the preview's image URL once it changes to this result's."""
    previous = _first_attribute(driver, provider.reveal_selector, provider.image_url_attribute)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", result)
    deadline = time.monotonic() + REVEAL_WAIT_SECONDS
    while time.monotonic() < deadline:
        value = _first_attribute(driver, provider.reveal_selector, provider.image_url_attribute)
        if value and value != previous:
            return value
        time.sleep(POLL_SECONDS)
    logger.info("No preview appeared for a result of %s within %s s.", provider.name, REVEAL_WAIT_SECONDS)
    return None


def _first_attribute(driver, selector: str, attribute: str) -> str | None:
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, selector)
    return elements[0].get_attribute(attribute) if elements else None


def _more_results_load(driver, provider: SearchProvider, count: int) -> bool:
    """Scroll (and, if that brings nothing, press "more results"); True once more results showed."""
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight);")
    if _results_grew(driver, provider, count):
        return True
    if not provider.more_results_selector:
        return False
    button = _visible_element(driver, provider.more_results_selector)
    if button is None:
        return False
    driver.execute_script("arguments[0].click();", button)
    return _results_grew(driver, provider, count)


def _results_grew(driver, provider: SearchProvider, count: int) -> bool:
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + provider.results_wait_seconds
    while time.monotonic() < deadline:
        if len(driver.find_elements(By.CSS_SELECTOR, provider.result_selector)) > count:
            return True
        time.sleep(POLL_SECONDS)
    return False


def _visible_element(driver, selector: str):
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, selector)
    return next((element for element in elements if element.is_displayed()), None)
