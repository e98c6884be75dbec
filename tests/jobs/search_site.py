"""A small image search site on 127.0.0.1, for scraping without the internet.

Its results page shows six results and loads more as the page is scrolled; after the
second batch it stops until "Show more results" is clicked, as real image searches do.
Each result links to a full-size image, which is either a face photo or trouble: a dead
link, a slow answer, a web page posing as an image, a file over the size limit, a
server error, a reset connection, or a server error that goes away on the next try.
The results page also asks for an image on another host (localhost), as a page's script
may try to reach into the scraping server's network; the scraper's browser must not.
"""

import io
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

from PIL import Image, ImageEnhance, ImageOps

FIXTURE_FACES = Path(__file__).parents[1] / "fixtures" / "celeba"
BATCH_SIZE = 6
# A slow image answers after this many seconds: longer than the test providers' timeout.
SLOW_SECONDS = 2.5


@dataclass(frozen=True)
class Result:
    """One search result: the path of its full-size image, and how that path answers."""

    path: str
    body: bytes = b""
    # ok, missing (404), slow, not_image, huge, error (500), flaky (503 once), reset
    behaviour: str = "ok"


def face_photos(count: int = 12, source: Path = FIXTURE_FACES) -> list[bytes]:
    """`count` distinct JPEG photos with one face each: the fixture photos, as they are and mirrored.

    The Haar detector finds exactly one face in each. Their face crops differ by 15 bits
    or more of difference hash, so none is taken for a near-duplicate of another, as a
    brightness or contrast variant of one photo would be.
    """
    photos = []
    for path in sorted(source.glob("*/*.jpg")):
        original = Image.open(path).convert("RGB")
        for variant in (original, ImageOps.mirror(original)):
            buffer = io.BytesIO()
            variant.save(buffer, "JPEG", quality=90)
            photos.append(buffer.getvalue())
    if len(photos) < count:
        raise ValueError(f"{source} gives only {len(photos)} photos; {count} were asked for.")
    return photos[:count]


def troubled_results(photos: list[bytes], *, too_large_bytes: int) -> list[Result]:
    """Results for one person: the photos, with one of each kind of trouble mixed in.

    With 12 photos the site lists 21 results: 20 distinct URLs (one is listed twice),
    13 usable photos (the flaky one works on the second try), one copy of a photo under
    another URL, and one of each failure: dead link, timeout, not an image, too large,
    server error, connection error.
    """
    good = [Result(f"/images/photo-{number}.jpg", body) for number, body in enumerate(photos, start=1)]
    trouble = [
        Result("/images/gone.jpg", behaviour="missing"),
        Result("/images/slow.jpg", photos[0], behaviour="slow"),
        Result("/images/page.jpg", b"<!doctype html><title>Not an image</title>", behaviour="not_image"),
        Result("/images/huge.jpg", b"\xff" * too_large_bytes, behaviour="huge"),
        Result("/images/broken.jpg", behaviour="error"),
        Result("/images/reset.jpg", behaviour="reset"),
        Result("/images/flaky.jpg", _tilted_and_darker(photos[0]), behaviour="flaky"),
        Result("/images/copy-of-photo-1.jpg", photos[0]),
    ]
    results = []
    for index, result in enumerate(good):
        results.append(result)
        if index < len(trouble):
            results.append(trouble[index])
    # The same image listed twice, as search results sometimes do.
    results.insert(5, good[1])
    return results


def _tilted_and_darker(photo: bytes) -> bytes:
    """Another photo of the same face: turned 15 degrees, so its crop is no near-duplicate."""
    buffer = io.BytesIO()
    image = Image.open(io.BytesIO(photo)).rotate(-15, resample=Image.Resampling.BICUBIC, fillcolor="white")
    ImageEnhance.Brightness(image).enhance(0.9).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class SearchSite:
    """The site's state: the results per name, and what was asked of it."""

    def __init__(self, results_by_name: dict[str, list[Result]], *, image_delay: float = 0.0) -> None:
        self.results_by_name = {name.casefold(): results for name, results in results_by_name.items()}
        # Seconds every good image waits before answering, to make a scrape take a while.
        self.image_delay = image_delay
        self.requests: Counter[str] = Counter()
        self.queries: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "SearchSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count_request(self, path: str) -> int:
        with self._lock:
            self.requests[path] += 1
            return self.requests[path]

    def results_for(self, query: str) -> list[Result]:
        """A query matches the name it starts with, so a query suffix finds the same results."""
        for name, results in self.results_by_name.items():
            if query.casefold().startswith(name):
                return results
        return []

    def result_at(self, path: str) -> Result | None:
        for results in self.results_by_name.values():
            for result in results:
                if result.path == path:
                    return result
        return None

    def providers(self) -> list[dict]:
        """Two providers for this site: one reads a result's attribute, one clicks to reveal."""
        common = {
            "search_url": f"{self.url}/search?q={{query}}",
            "more_results_selector": "#more",
            "results_wait_seconds": 0.5,
            "requests_per_second": 100,
            "download_threads": 2,
            "download_timeout_seconds": 1.0,
            "download_retries": 1,
        }
        return [
            {
                "name": "local",
                "label": "Local test search",
                "result_selector": "#results .result",
                "image_url_selector": "a",
                "image_url_attribute": "data-full",
                **common,
            },
            {
                "name": "local-preview",
                "label": "Local test search (preview)",
                "result_selector": "#results .result a",
                "reveal_selector": "#preview a.full-image",
                "image_url_attribute": "href",
                **common,
            },
        ]


def _handler_for(site: SearchSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            try:
                if url.path == "/search":
                    site.queries.append(query.get("q", [""])[0])
                    self._search_page(query.get("q", [""])[0])
                elif url.path == "/results":
                    self._batch(query.get("q", [""])[0], int(query.get("batch", ["1"])[0]))
                elif url.path.startswith("/thumb/"):
                    self._send(200, _THUMBNAIL, "image/png")
                else:
                    self._image(url.path)
            except (BrokenPipeError, ConnectionResetError):
                # The scraper hung up first (a size limit, a timeout): nothing to answer.
                pass

        def _send(self, status: int, body: bytes, content_type: str, length: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            self.wfile.write(body)

        def _search_page(self, query_text: str) -> None:
            first_batch = _batch_html(site, query_text, 1)
            page = (
                _SEARCH_PAGE.replace("{{results}}", first_batch)
                .replace("{{query}}", json.dumps(query_text))
                .replace("{{other_host}}", site.url.replace("127.0.0.1", "localhost"))
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")

        def _batch(self, query_text: str, batch: int) -> None:
            self._send(200, _batch_html(site, query_text, batch).encode(), "text/html; charset=utf-8")

        def _image(self, path: str) -> None:
            result = site.result_at(path)
            attempt = site.count_request(path)
            behaviour = result.behaviour if result else "missing"
            if behaviour == "missing":
                self._send(404, b"Not found", "text/plain")
            elif behaviour == "error" or (behaviour == "flaky" and attempt == 1):
                self._send(503 if behaviour == "flaky" else 500, b"Server error", "text/plain")
            elif behaviour == "reset":
                # Hang up without answering, as an overloaded server or proxy may.
                self.close_connection = True
            else:
                time.sleep(SLOW_SECONDS if behaviour == "slow" else site.image_delay)
                self._send(200, result.body, "image/jpeg")

    return Handler


def _batch_html(site: SearchSite, query_text: str, batch: int) -> str:
    results = site.results_for(query_text)[(batch - 1) * BATCH_SIZE : batch * BATCH_SIZE]
    # A path is on this site; a whole URL (http://10.0.0.8/...) is listed as it is.
    return "".join(
        f'<div class="result"><a href="/view/{index}" data-full="{urljoin(site.url, result.path)}">'
        f'<img src="/thumb/{index}" alt=""></a></div>'
        for index, result in enumerate(results, start=(batch - 1) * BATCH_SIZE + 1)
    )


def _thumbnail() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (180, 180, 190)).save(buffer, "PNG")
    return buffer.getvalue()


_THUMBNAIL = _thumbnail()

_SEARCH_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Local image search</title>
<style>
  body { margin: 0; font: 14px sans-serif; }
  .result { display: block; height: 300px; margin: 10px; background: #eee; }
  .result img { width: 200px; height: 280px; }
  #preview { position: fixed; top: 0; right: 0; width: 300px; background: #fff; }
</style></head>
<body>
<div id="results">{{results}}</div>
<button id="more" hidden>Show more results</button>
<p id="end" hidden>No more results</p>
<div id="preview"><a class="full-image">View full image</a></div>
<img id="other-host" src="{{other_host}}/internal/status.png" alt="">
<script>
  const query = {{query}};
  let loaded = 1, loading = false, finished = false, waitingForClick = false;
  async function loadMore() {
    if (loading || finished || waitingForClick) return;
    loading = true;
    const response = await fetch(`/results?q=${encodeURIComponent(query)}&batch=${loaded + 1}`);
    const html = await response.text();
    loading = false;
    if (!html.trim()) {
      finished = true;
      document.getElementById("end").hidden = false;
      return;
    }
    document.getElementById("results").insertAdjacentHTML("beforeend", html);
    loaded += 1;
    if (loaded === 2) {
      waitingForClick = true;
      document.getElementById("more").hidden = false;
    }
  }
  window.addEventListener("scroll", () => {
    if (window.innerHeight + window.scrollY >= document.body.scrollHeight - 300) loadMore();
  });
  document.getElementById("more").addEventListener("click", (event) => {
    waitingForClick = false;
    event.target.hidden = true;
    loadMore();
  });
  document.getElementById("results").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-full]");
    if (!link) return;
    event.preventDefault();
    // The preview shows the full image a moment later, as real sites do.
    setTimeout(() => { document.querySelector("#preview a.full-image").href = link.dataset.full; }, 50);
  });
</script>
</body></html>
"""
