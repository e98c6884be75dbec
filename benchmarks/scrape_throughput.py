"""Scrape throughput (photos stored per second) with 1, 4 and 10 scrape workers.

Usage: .venv/bin/python benchmarks/scrape_throughput.py [--identities 10] [--workers 1 4 10]

Nothing leaves this machine: the scrapers search the test suite's image search site
(tests/jobs/search_site.py) on 127.0.0.1, which serves the photos of
../shared/data/celeba_subset/images, one identity per folder, each photo answered after
--image-delay seconds to stand in for a distant image host. Everything runs for real:
a private Redis, a throwaway SQLite database and media folder, `manage.py rqworker
scrape` processes, headless Chromium for each search, downloads, Haar face cropping.

For each worker count, the same identities are scraped under fresh names (so nothing
counts as stored before); the workers run in burst mode and the time is taken from the
first job's start to the last job's end, so worker start-up is not counted. Each
configuration is bounded by --timeout seconds.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data" / "celeba_subset" / "images"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="a folder of photos per person")
    parser.add_argument("--identities", type=int, default=10, help="scrape jobs per configuration")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--image-delay", type=float, default=0.2, help="seconds each photo takes to answer")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per configuration")
    return parser.parse_args()


def django_setup(work_dir: Path, providers_file: Path, redis_socket: Path) -> None:
    """Point the settings (and the workers started later) at scratch state, then migrate."""
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{work_dir / 'benchmark.sqlite3'}",
            "REDIS_URL": f"unix://{redis_socket}?db=0",
            "MEDIA_ROOT": str(work_dir / "media"),
            "FACESITE_VAR_DIR": str(work_dir),
            "FACESITE_SCRAPE_PROVIDERS": str(providers_file),
            "DJANGO_SETTINGS_MODULE": "facesite.settings",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(PROJECT_DIR))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def search_site_start(data_dir: Path, folders: list[str], worker_counts: list[int], image_delay: float):
    """The local search site, listing each folder's photos under a name per configuration."""
    from tests.jobs.search_site import Result, SearchSite

    results_by_name = {}
    for folder in folders:
        photos = [
            Result(f"/images/{folder}/{path.name}", path.read_bytes())
            for path in sorted((data_dir / folder).glob("*.jpg"))
        ]
        for workers in worker_counts:
            results_by_name[_name(folder, workers)] = photos
    return SearchSite(results_by_name, image_delay=image_delay).start()


def _name(folder: str, workers: int) -> str:
    return f"Celeb {folder} with {workers} workers"


def providers_write(site, path: Path) -> None:
    provider = {**site.providers()[0], "name": "bench", "label": "Benchmark search"}
    # The defaults a real provider gets, but for the rate limit: the local site is not
    # somebody else's server, and the limit would otherwise be what is measured.
    provider.update(
        results_wait_seconds=1.0,
        requests_per_second=20,
        download_threads=8,
        download_timeout_seconds=15,
        download_retries=2,
    )
    path.write_text(json.dumps([provider]))


def configuration_run(folders: list[str], workers: int, timeout: float) -> dict:
    """Queue one scrape per folder, run `workers` burst workers, return what they did."""
    from identities.models import Face, SourceImage
    from pipeline.models import JobRun
    from pipeline.services import identities_for_names, scrape_start

    identities = identities_for_names([_name(folder, workers) for folder in folders], actor=None)
    started = scrape_start(
        identities=identities,
        per_identity=100,
        provider="bench",
        query_suffix="",
        detector="haar",
        actor=None,
    )
    run_ids = [job_run.pk for job_run, _ in started]
    command = [sys.executable, "manage.py", "rqworker", "scrape", "--burst", "--verbosity", "0"]
    processes = [subprocess.Popen(command, cwd=PROJECT_DIR) for _ in range(workers)]
    deadline = time.monotonic() + timeout
    while any(process.poll() is None for process in processes) and time.monotonic() < deadline:
        time.sleep(0.5)
    timed_out = any(process.poll() is None for process in processes)
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()
    runs = JobRun.objects.filter(pk__in=run_ids)
    first_start = min(run.started_at for run in runs if run.started_at)
    last_end = max(run.finished_at or run.started_at for run in runs if run.started_at)
    seconds = (last_end - first_start).total_seconds()
    photos = SourceImage.objects.filter(identity__in=identities, status=SourceImage.Status.FACES).count()
    photos += SourceImage.objects.filter(identity__in=identities, status=SourceImage.Status.NO_FACE).count()
    return {
        "workers": workers,
        "jobs": len(run_ids),
        "finished": runs.filter(status=JobRun.Status.FINISHED).count(),
        "photos": photos,
        "faces": Face.objects.filter(identity__in=identities).count(),
        "failed_downloads": sum(sum(run.summary.get("failures", {}).values()) for run in runs),
        "seconds": seconds,
        "photos_per_second": photos / seconds if seconds else 0.0,
        "timed_out": timed_out,
    }


def main() -> None:
    options = arguments()
    folders = sorted(path.name for path in options.data.iterdir() if path.is_dir())[: options.identities]
    with tempfile.TemporaryDirectory(prefix="facesite-scrape-bench-") as scratch:
        work_dir = Path(scratch)
        sys.path.insert(0, str(PROJECT_DIR))
        from facesite.redis_server import redis_server_start

        redis_process = redis_server_start(
            work_dir / "redis.sock", work_dir / "redis", work_dir / "redis.log"
        )
        site = search_site_start(options.data, folders, options.workers, options.image_delay)
        try:
            providers_write(site, work_dir / "providers.json")
            django_setup(work_dir, work_dir / "providers.json", work_dir / "redis.sock")
            photos_listed = sum(len(list((options.data / folder).glob("*.jpg"))) for folder in folders)
            print(
                f"{len(folders)} identities, {photos_listed} photos listed, each answered after "
                f"{options.image_delay:g} s; {os.cpu_count()} CPUs.\n"
            )
            print("workers  jobs  finished  photos  faces  failed  seconds  photos/s")
            for workers in options.workers:
                result = configuration_run(folders, workers, options.timeout)
                row = (
                    f"{result['workers']:>7}  {result['jobs']:>4}  {result['finished']:>8}  "
                    f"{result['photos']:>6}  {result['faces']:>5}  {result['failed_downloads']:>6}  "
                    f"{result['seconds']:>7.1f}  {result['photos_per_second']:>8.2f}"
                )
                print(row + ("  (timed out)" if result["timed_out"] else ""), flush=True)
        finally:
            site.stop()
            redis_process.terminate()
            redis_process.wait()


if __name__ == "__main__":
    main()
