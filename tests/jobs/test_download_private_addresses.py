"""With FACESITE_SCRAPE_ALLOW_PRIVATE off, downloads never reach a private address: not by
a URL that names one, not by a name that resolves to one, not by a redirect to one."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline import addresses
from pipeline.downloads import DownloadFailed, ImageDownloader
from pipeline.providers import SearchProvider

PHOTO = "/images/photo-1.jpg"


@pytest.fixture
def downloader(search_site, image_limit, settings):
    settings.FACESITE_SCRAPE_ALLOW_PRIVATE = False
    return ImageDownloader(SearchProvider(**search_site.providers()[0]), max_bytes=image_limit)


def refusal_of(downloader, url: str) -> DownloadFailed:
    with pytest.raises(DownloadFailed) as caught:
        downloader.download(url)
    assert caught.value.kind == "private address"
    assert not caught.value.transient
    return caught.value


@pytest.fixture
def resolve_to(monkeypatch):
    """Make names resolve where a test says, as a DNS server under someone else's control may."""
    real_getaddrinfo = socket.getaddrinfo

    def point(names: dict[str, str]) -> None:
        def getaddrinfo(host, port, *args, **kwargs):
            return real_getaddrinfo(names.get(host, host), port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return point


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_loopback_url_is_refused_without_a_request(search_site, downloader, host):
    port = search_site.url.rsplit(":", 1)[1]
    failure = refusal_of(downloader, f"http://{host}:{port}{PHOTO}")
    assert "private network" in failure.detail
    assert search_site.requests[PHOTO] == 0


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/photo.jpg", "http://[fd00:ec2::254]/"],
    ids=["metadata", "private", "unique-local"],
)
def test_metadata_and_private_addresses_are_refused(downloader, url):
    refusal_of(downloader, url)


def test_a_public_looking_name_that_resolves_to_loopback_is_refused(
    search_site, downloader, resolve_to, settings
):
    resolve_to({"photos.example.com": "127.0.0.1"})
    port = search_site.url.rsplit(":", 1)[1]
    url = f"http://photos.example.com:{port}{PHOTO}"
    failure = refusal_of(downloader, url)
    assert "photos.example.com (127.0.0.1)" in failure.detail
    assert search_site.requests[PHOTO] == 0
    # The setting lets the same download through, as the tests' own search site needs.
    settings.FACESITE_SCRAPE_ALLOW_PRIVATE = True
    allowed = ImageDownloader(downloader.provider, max_bytes=downloader.max_bytes)
    assert allowed.download(url) == search_site.result_at(PHOTO).body


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_redirect_into_the_private_network_is_refused(search_site, downloader, monkeypatch):
    """A server that stands for a public one (on 127.0.0.2, which this test counts as public)
    redirects to the search site on 127.0.0.1."""
    _Redirector.target = f"{search_site.url}{PHOTO}"
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Redirector)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    really_public = addresses.address_is_public
    monkeypatch.setattr(addresses, "address_is_public", lambda ip: ip == "127.0.0.2" or really_public(ip))
    try:
        failure = refusal_of(downloader, f"http://127.0.0.2:{server.server_address[1]}/photo.jpg")
    finally:
        server.shutdown()
        server.server_close()
    assert "127.0.0.1" in failure.detail
    assert search_site.requests[PHOTO] == 0
