"""Time the identity list page with 5,000 identities and 200,000 faces.

    .venv/bin/python benchmarks/identity_list.py                 # throwaway SQLite database
    .venv/bin/python benchmarks/identity_list.py --database-url postgres://postgres@127.0.0.1:5432/facesite_bench

The PostgreSQL database must exist and hold no identities (create it with
`createdb -h 127.0.0.1 -U postgres facesite_bench`, drop it afterwards). Rows are made with
bulk_create and no image files: the list never opens one. Each page is requested through
the test client as a logged-in admin, so the figures include middleware, the permission
check and template rendering. Prints p50/p95 milliseconds and the SQL queries per page.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_django import django_setup as django_point
from bench_rows import photos_and_faces_create

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATUS_WEIGHTS = {"approved": 0.5, "pending": 0.35, "rejected": 0.15}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database; default: a temporary SQLite file"
    )
    parser.add_argument("--identities", type=int, default=5_000)
    parser.add_argument("--faces", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    return parser.parse_args()


def django_setup(database_url: str, work_directory: Path) -> None:
    """Point the settings at the benchmark database and a scratch folder, then migrate."""
    django_point(database_url, work_directory, migrate=False)
    from django.core.management import call_command
    from django.test.utils import override_settings

    # The test client's host, and static files without a collectstatic manifest. Not
    # setup_test_environment(): its template instrumentation would inflate the timings.
    override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "identities.storage.AtomicFileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    call_command("migrate", verbosity=0)
    # Keep one connection across requests, as a server with persistent connections does;
    # closing it after each request would also hide the queries from the count.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


def populate(identity_total: int, face_total: int) -> None:
    """Identities with stored counts, four shared source photos each, and their faces."""
    from identities.models import Identity

    if Identity.objects.exists():
        sys.exit("The benchmark database already holds identities; give it an empty one.")
    generator = random.Random(7)
    faces_each = face_total // identity_total
    statuses_by_identity = []
    identities = []
    for number in range(identity_total):
        # Each identity gets its own approval rate, so some are ready for training and some not.
        approval = generator.random()
        weights = [approval, (1 - approval) * 0.7, (1 - approval) * 0.3]
        statuses = generator.choices(list(STATUS_WEIGHTS), weights=weights, k=faces_each)
        statuses_by_identity.append(statuses)
        identities.append(
            Identity(
                name=f"Person {number:05d}",
                aliases=f"Alias {generator.randrange(10**6)}" if number % 3 == 0 else "",
                archived=number % 20 == 0,
                pending_count=statuses.count("pending"),
                approved_count=statuses.count("approved"),
                rejected_count=statuses.count("rejected"),
            )
        )
    identities = Identity.objects.bulk_create(identities, batch_size=1000)
    photos_and_faces_create(
        identities, statuses_by_identity, photos_each=4, detector="bench", generator=generator
    )


def admin_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client

    admin = User.objects.create_user("bench-admin", password="unused")
    admin.groups.add(Group.objects.get(name="admin"))
    client = Client()
    client.force_login(admin)
    return client


def measure(client, url: str, repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    # Counted now: the next request empties the connection's query log.
    query_count = len(queries.captured_queries)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    return statistics.median(timings), p95, query_count


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="facesite-bench-", ignore_cleanup_errors=True) as directory:
        work_directory = Path(directory)
        database_url = options.database_url or f"sqlite:///{work_directory / 'bench.sqlite3'}"
        django_setup(database_url, work_directory)
        from django.db import connection

        started = time.perf_counter()
        populate(options.identities, options.faces)
        print(
            f"{connection.vendor}: {options.identities:,} identities, {options.faces:,} faces "
            f"made in {time.perf_counter() - started:.1f} s; {options.repeat} requests per page"
        )
        client = admin_client()
        pages = {
            "first page": "/identities/",
            "search": "/identities/?q=person 012",
            "sort by approved": "/identities/?sort=-approved",
            "late page": "/identities/?show=all&page=95",
            "overview": "/",
        }
        print(f"{'page':<18}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
        for label, url in pages.items():
            median, p95, query_count = measure(client, url, options.repeat)
            print(f"{label:<18}{median:>9.1f}{p95:>9.1f}{query_count:>9}")


if __name__ == "__main__":
    main()
