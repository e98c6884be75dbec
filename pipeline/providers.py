"""Image search providers: configuration that tells the scraper where to search and what to read.

A provider is a search URL plus CSS selectors. From each element matching
`result_selector`, the full-size image URL is read:

- with `reveal_selector`: the result is clicked, and the URL is read from the first
  element matching `reveal_selector` on the page (a preview panel, as Google shows);
- otherwise from the result itself, or its first descendant matching `image_url_selector`;

in both cases from the attribute `image_url_attribute`, which with `image_url_json_key`
holds JSON with the URL under that key (as Bing's `m` attribute does).

Search sites change their markup without notice; the presets below are best effort.
To fix one or add another, write a JSON list of providers in the same shape to a file
and name it in FACESITE_SCRAPE_PROVIDERS (README.md shows one); an entry with a preset's
name replaces that preset.
"""

import json
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import quote_plus

from django.conf import settings

from facesite.errors import FacesiteError


@dataclass(frozen=True)
class SearchProvider:
    name: str
    label: str
    # The results page, with {query} where the URL-encoded query goes.
    search_url: str
    result_selector: str
    image_url_attribute: str = "href"
    image_url_selector: str = ""
    image_url_json_key: str = ""
    reveal_selector: str = ""
    # A button that loads more results once scrolling stops doing so.
    more_results_selector: str = ""
    # How long to wait for new results after scrolling or clicking for more.
    results_wait_seconds: float = 3.0
    # Downloads: at most this many requests started per second by one job, this many
    # at once, each attempt given up after this many seconds, and tried again this many
    # times after a timeout, a reset connection or a server error (5xx).
    requests_per_second: float = 4.0
    download_threads: int = 8
    download_timeout_seconds: float = 15.0
    download_retries: int = 2
    # Hosts besides the results page's that its browser may reach (where the page loads
    # its scripts from, say), each checked as that host is; the browser reaches no other.
    browser_hosts: tuple[str, ...] = ()

    def search_page_url(self, query: str) -> str:
        return self.search_url.replace("{query}", quote_plus(query))


PRESETS = [
    SearchProvider(
        name="bing",
        label="Bing Images",
        search_url="https://www.bing.com/images/search?q={query}&form=HDRSC2&first=1",
        result_selector="a.iusc",
        image_url_attribute="m",
        image_url_json_key="murl",
        more_results_selector="a.btn_seemore, .mm_seemore a",
    ),
    SearchProvider(
        name="google",
        label="Google Images",
        search_url="https://www.google.com/search?q={query}&udm=2",
        result_selector="div[jsname='dTDiAc'], div.eA0Zlc",
        reveal_selector="img.sFlh5c[src^='http'], img.iPVvYb[src^='http']",
        image_url_attribute="src",
        more_results_selector="input.mye4qd, .GNJvt input",
    ),
]


def search_providers() -> dict[str, SearchProvider]:
    """The presets, replaced or joined by those in the file FACESITE_SCRAPE_PROVIDERS names."""
    providers = {provider.name: provider for provider in PRESETS}
    if settings.FACESITE_SCRAPE_PROVIDERS:
        for provider in _providers_read(Path(settings.FACESITE_SCRAPE_PROVIDERS)):
            providers[provider.name] = provider
    return providers


def search_provider_get(name: str) -> SearchProvider:
    providers = search_providers()
    if name not in providers:
        choices = ", ".join(sorted(providers))
        raise FacesiteError(f"Unknown search provider {name!r}; choose one of: {choices}.")
    return providers[name]


def _providers_read(path: Path) -> list[SearchProvider]:
    """The providers in a JSON file, or FacesiteError naming the file and what is wrong."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise FacesiteError(f"FACESITE_SCRAPE_PROVIDERS: cannot read {path}: {error}") from None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise FacesiteError(f"FACESITE_SCRAPE_PROVIDERS: {path} must hold a JSON list of objects.")
    known = {field.name for field in fields(SearchProvider)}
    providers = []
    for entry in entries:
        unknown = sorted(set(entry) - known)
        if unknown:
            raise FacesiteError(f"FACESITE_SCRAPE_PROVIDERS: {path}: unknown keys {', '.join(unknown)}.")
        hosts = entry.get("browser_hosts", [])
        if not isinstance(hosts, list) or not all(isinstance(host, str) for host in hosts):
            raise FacesiteError(
                f"FACESITE_SCRAPE_PROVIDERS: {path}: browser_hosts must be a list of host names."
            )
        try:
            providers.append(SearchProvider(**{**entry, "browser_hosts": tuple(hosts)}))
        except TypeError as error:
            raise FacesiteError(f"FACESITE_SCRAPE_PROVIDERS: {path}: {error}") from None
    return providers
