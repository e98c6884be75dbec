"""The scrape job: from an identity's name to its photos as source images and pending faces.

Re-running a scrape that was killed halfway finishes the work without duplicates: URLs
the identity already has a photo from are not downloaded again, a photo is unique per
identity and content (SourceImage), and files are stored under their content's hash.
"""

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.conf import settings

from identities.models import Identity, SourceImage
from pipeline.detection import FaceDetector, detector_get
from pipeline.downloads import NOT_AN_IMAGE, DownloadFailed, ImageDownloader
from pipeline.importer import ImportFile, ImportSummary, photo_import
from pipeline.jobs import JobProgress, summary_json
from pipeline.providers import SearchProvider, search_provider_get
from pipeline.search import BrowserFailed, image_urls_collect


@dataclass
class ScrapeSummary:
    """What one scrape did, stored on its JobRun."""

    found: int = 0
    # Found URLs the identity already has a photo from (an earlier run stored them).
    already_stored: int = 0
    images: int = 0
    faces: int = 0
    duplicates: int = 0
    # Downloads that gave no usable image, counted by kind (dead link, timeout, ...).
    failures: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _RankedUrl:
    rank: int
    url: str


def scrape_job_run(*, identity: Identity, parameters: dict, progress: JobProgress) -> dict:
    """The scrape job's service: scrape for one identity with the run's parameters."""
    summary = identity_scrape(
        identity=identity,
        provider=search_provider_get(parameters["provider"]),
        wanted=parameters["per_identity"],
        query_suffix=parameters["query_suffix"],
        detector=detector_get(parameters["detector"]),
        progress=progress,
    )
    return summary_json(summary)


def identity_scrape(
    *,
    identity: Identity,
    provider: SearchProvider,
    wanted: int,
    query_suffix: str,
    detector: FaceDetector,
    progress: JobProgress,
) -> ScrapeSummary:
    """Search for an identity's photos and store them with their faces for review.

    1. Collect up to `wanted` full-size image URLs from the provider in headless Chromium.
    2. Leave out URLs the identity already has a photo from.
    3. Download the rest on a bounded thread pool; this thread stores each photo as it
       arrives (a SourceImage with its URL and search rank, its faces pending review).
    4. Recount the identity's faces.
    """
    summary = ScrapeSummary()
    query = f"{identity.name} {query_suffix}".strip()
    searching = f"Searching {provider.label} for “{query}”"
    progress.step(searching)
    try:
        urls = image_urls_collect(
            provider=provider,
            query=query,
            wanted=wanted,
            on_found=lambda count: progress.describe(f"{searching}: {count} of {wanted} images found"),
        )
    except BrowserFailed as failure:
        # The error says it in plain words; the log keeps the browser's own, for whoever digs.
        progress.log(f"The browser said: {failure.detail}")
        progress.write(force=True)
        raise
    summary.found = len(urls)
    ranked = [_RankedUrl(rank, url) for rank, url in enumerate(urls, start=1)]
    new = [ranked_url for ranked_url in ranked if not _url_already_stored(identity, ranked_url)]
    summary.already_stored = len(ranked) - len(new)
    done = summary.already_stored
    progress.step(f"Downloading {len(new)} images ({summary.already_stored} stored before)")
    progress.advance(done, len(ranked), summary_json(summary))
    downloader = ImageDownloader(provider, max_bytes=settings.FACESITE_MAX_IMAGE_BYTES)
    for ranked_url, outcome in _downloads(downloader, new, threads=provider.download_threads):
        if isinstance(outcome, DownloadFailed):
            summary.failures[outcome.kind] += 1
            progress.log(f"#{ranked_url.rank} {ranked_url.url}: {outcome}")
        else:
            _photo_store(outcome, ranked_url, identity, detector, summary, progress)
        done += 1
        progress.advance(done, len(ranked), summary_json(summary))
    identity.update_face_counts()
    progress.log(
        f"{summary.images} new images with {summary.faces} faces, {summary.duplicates} duplicates, "
        f"{summary.already_stored} stored before, {sum(summary.failures.values())} failed downloads."
    )
    return summary


def _url_already_stored(identity: Identity, ranked_url: _RankedUrl) -> bool:
    return SourceImage.objects.filter(identity=identity, origin_detail=ranked_url.url).exists()


def _downloads(
    downloader: ImageDownloader, ranked_urls: list[_RankedUrl], *, threads: int
) -> Iterator[tuple[_RankedUrl, bytes | DownloadFailed]]:
    """Each URL with its bytes or its failure, as downloads finish.

    At most twice `threads` downloads are in flight or waiting to be stored, so memory
    stays bounded when storing is slower than downloading.
    """
    waiting = iter(ranked_urls)
    in_flight: dict[Future, _RankedUrl] = {}
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="download")
    try:
        while True:
            while len(in_flight) < 2 * threads and (ranked_url := next(waiting, None)):
                in_flight[executor.submit(_download_or_failure, downloader, ranked_url.url)] = ranked_url
            if not in_flight:
                return
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                yield in_flight.pop(future), future.result()
    finally:
        # A stopped job must not wait for the downloads still in flight.
        executor.shutdown(wait=False, cancel_futures=True)


def _download_or_failure(downloader: ImageDownloader, url: str) -> bytes | DownloadFailed:
    try:
        return downloader.download(url)
    except DownloadFailed as failure:
        return failure


def _photo_store(
    data: bytes,
    ranked_url: _RankedUrl,
    identity: Identity,
    detector: FaceDetector,
    summary: ScrapeSummary,
    progress: JobProgress,
) -> None:
    """Store one downloaded photo through the importer, with where it was found.

    The importer decodes it (refusing what is not an image, whatever its header said),
    stores it once per identity and content, and crops its faces as pending.
    """
    photo_summary = ImportSummary()
    photo = ImportFile.from_bytes(
        data,
        identity=identity,
        origin=SourceImage.Origin.URL,
        origin_detail=ranked_url.url,
        search_rank=ranked_url.rank,
    )
    photo_import(photo, identity, detector, approve=False, actor=None, summary=photo_summary)
    summary.images += photo_summary.images
    summary.faces += photo_summary.faces
    summary.duplicates += photo_summary.duplicates
    for reason, count in photo_summary.failures.items():
        summary.failures[NOT_AN_IMAGE] += count
        progress.log(f"#{ranked_url.rank} {ranked_url.url}: {NOT_AN_IMAGE} ({reason})")
