import pytest

from pipeline.downloads import ImageDownloader
from pipeline.providers import SearchProvider


@pytest.fixture
def downloader(search_site, image_limit):
    provider = SearchProvider(**search_site.providers()[0])
    return ImageDownloader(provider, max_bytes=image_limit)


def failure_of(downloader, url: str):
    with pytest.raises(Exception) as caught:
        downloader.download(url)
    return caught.value


def test_a_photo_downloads_whole(search_site, downloader):
    expected = search_site.result_at("/images/photo-1.jpg").body
    assert downloader.download(f"{search_site.url}/images/photo-1.jpg") == expected


@pytest.mark.parametrize(
    ("path", "kind", "attempts"),
    [
        ("/images/gone.jpg", "dead link", 1),
        ("/images/broken.jpg", "server error", 2),
        ("/images/reset.jpg", "connection error", 2),
        ("/images/huge.jpg", "too large", 1),
        ("/images/slow.jpg", "timeout", 2),
    ],
)
def test_each_failure_has_its_kind_and_only_transient_ones_are_retried(
    search_site, downloader, path, kind, attempts
):
    failure = failure_of(downloader, f"{search_site.url}{path}")
    assert failure.kind == kind
    assert search_site.requests[path] == attempts


def test_a_server_error_that_goes_away_is_retried_after_a_pause(search_site, downloader):
    expected = search_site.result_at("/images/flaky.jpg").body
    assert downloader.download(f"{search_site.url}/images/flaky.jpg") == expected
    assert search_site.requests["/images/flaky.jpg"] == 2


def test_a_host_that_refuses_connections_is_a_dead_link(downloader):
    # Port 9 (discard) is closed on this machine: the connection is refused at once.
    assert failure_of(downloader, "http://127.0.0.1:9/photo.jpg").kind == "dead link"
