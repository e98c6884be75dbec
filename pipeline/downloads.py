"""Downloading images politely and safely: a rate limit, timeouts, a byte cap, retries,
and public addresses only (pipeline.addresses), checked on every connection, redirects
included.

Every way a download can fail ends as DownloadFailed with one of a few kinds, so a job
counts its failures by kind and a network problem never crashes it.
"""

import socket
import threading
import time

import urllib3
from django.conf import settings
from urllib3 import exceptions as http_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pipeline.addresses import AddressRefused, public_addresses
from pipeline.providers import SearchProvider

DEAD_LINK = "dead link"
SERVER_ERROR = "server error"
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection error"
TOO_LARGE = "too large"
NOT_AN_IMAGE = "not an image"
PRIVATE_ADDRESS = "private address"

# Waits before the second, third, ... attempt: 0.5 s, then 1 s, 2 s.
BACKOFF_SECONDS = 0.5
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
# Some image hosts refuse clients that do not look like a browser.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) facesite/0.1 (image collection for face recognition research)"


class DownloadFailed(Exception):
    """A download that did not give an image file, with its kind and a detail for the log."""

    def __init__(self, kind: str, detail: str, *, transient: bool = False) -> None:
        super().__init__(f"{kind} ({detail})")
        self.kind = kind
        self.detail = detail
        # Worth another attempt: a timeout, a reset connection, a server error.
        self.transient = transient


class RateLimiter:
    """Spaces the starts of requests at least 1/per_second seconds apart, across threads."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1 / per_second if per_second > 0 else 0.0
        self._lock = threading.Lock()
        self._next_start = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            time.sleep(start - now)


class _PublicOnly:
    """A urllib3 connection that connects only to a public address of its host.

    Every connection, the first and each redirect's, is made here, so a redirect into
    the private network is refused like a URL that names it.
    """

    def _new_conn(self):
        host = self._dns_host
        try:
            self._dns_host = public_addresses(host, self.port)[0]
        except socket.gaierror as error:
            raise http_errors.NameResolutionError(self.host, self, error) from error
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


class _PublicHTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class ImageDownloader:
    """Downloads image files for one job; safe to share between its download threads."""

    def __init__(self, provider: SearchProvider, *, max_bytes: int) -> None:
        self.provider = provider
        self.max_bytes = max_bytes
        self.rate_limiter = RateLimiter(provider.requests_per_second)
        self.pool = urllib3.PoolManager(
            maxsize=provider.download_threads,
            headers={"User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5"},
        )
        if not settings.FACESITE_SCRAPE_ALLOW_PRIVATE:
            self.pool.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}

    def download(self, url: str) -> bytes:
        """The bytes at url, or DownloadFailed; transient failures are retried with backoff."""
        failure = None
        for attempt in range(self.provider.download_retries + 1):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            self.rate_limiter.wait()
            try:
                return self._fetch(url)
            except DownloadFailed as error:
                if not error.transient:
                    raise
                failure = error
        raise failure

    def _fetch(self, url: str) -> bytes:
        """One attempt, within download_timeout_seconds for connecting and for all the reading."""
        seconds = self.provider.download_timeout_seconds
        deadline = time.monotonic() + seconds
        try:
            response = self.pool.request(
                "GET",
                url,
                preload_content=False,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
                # Redirects are followed here; failed attempts are retried by download().
                retries=urllib3.Retry(
                    total=None, connect=0, read=0, status=0, other=0, redirect=MAX_REDIRECTS
                ),
            )
        except http_errors.HTTPError as error:
            raise _failure_of(error, seconds) from None
        except AddressRefused as refusal:
            raise DownloadFailed(PRIVATE_ADDRESS, str(refusal)) from None
        try:
            _status_check(response.status)
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > self.max_bytes:
                raise DownloadFailed(TOO_LARGE, f"{int(length):,} bytes; the limit is {self.max_bytes:,}")
            return self._body_read(response, deadline)
        except http_errors.HTTPError as error:
            raise _failure_of(error, seconds) from None
        finally:
            # Closing drops a connection with unread bytes on it instead of reusing it.
            response.close()
            response.release_conn()

    def _body_read(self, response, deadline: float) -> bytes:
        chunks, size = [], 0
        while chunk := response.read(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise DownloadFailed(TOO_LARGE, f"more than the limit of {self.max_bytes:,} bytes")
            if time.monotonic() > deadline:
                seconds = self.provider.download_timeout_seconds
                raise DownloadFailed(TIMEOUT, f"not complete within {seconds:g} s", transient=True)
            chunks.append(chunk)
        return b"".join(chunks)


def _status_check(status: int) -> None:
    if status >= 500:
        raise DownloadFailed(SERVER_ERROR, f"HTTP {status}", transient=True)
    if status != 200:
        raise DownloadFailed(DEAD_LINK, f"HTTP {status}")


def _failure_of(error: Exception, seconds: float) -> DownloadFailed:
    """The kind of failure behind a urllib3 error (MaxRetryError wraps the real one)."""
    cause = error.reason if isinstance(error, http_errors.MaxRetryError) and error.reason else error
    # Trying again won't help these. NewConnectionError is a kind of ConnectTimeoutError
    # in urllib3, so it is told apart before timeouts are.
    if isinstance(cause, http_errors.NameResolutionError):
        return DownloadFailed(DEAD_LINK, "no such host")
    if isinstance(cause, http_errors.NewConnectionError):
        return DownloadFailed(DEAD_LINK, "the server refused the connection")
    if isinstance(cause, http_errors.SSLError):
        return DownloadFailed(DEAD_LINK, "TLS certificate or handshake failed")
    if isinstance(cause, http_errors.LocationValueError):
        return DownloadFailed(DEAD_LINK, "not a valid URL")
    if isinstance(cause, http_errors.ResponseError):
        return DownloadFailed(DEAD_LINK, "too many redirects")
    if isinstance(cause, http_errors.TimeoutError):
        return DownloadFailed(TIMEOUT, f"no answer within {seconds:g} s", transient=True)
    return DownloadFailed(CONNECTION_ERROR, "the connection was cut off", transient=True)
