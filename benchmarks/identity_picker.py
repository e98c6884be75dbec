"""Time the identity picker's search (identities.selectors.identity_search, what
/identities/search/ answers) over --identities identities with aliases.

    .venv/bin/python benchmarks/identity_picker.py                 # throwaway SQLite file
    .venv/bin/python benchmarks/identity_picker.py --database-url postgres://postgres@127.0.0.1:5432/facesite_bench_picker

1. Migrate a scratch database and add the identities ("Given Family" names, every
   tenth with an alias).
2. Time --queries searches for prefixes of 1 to 4 letters, as a person types, and print
   p50/p95/max milliseconds.
"""

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_django import django_setup, sqlite_url

GIVEN = ["Ada", "Anna", "Ben", "Carla", "Dmitri", "Elena", "Farah", "Gita", "Hugo", "Ines", "Jon", "Kemal"]
FAMILY = ["Lovelace", "Hopper", "Turing", "Noether", "Curie", "Meitner", "Ramanujan", "Gauss", "Euler"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database; default: a temporary SQLite file"
    )
    parser.add_argument("--identities", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    return parser.parse_args()


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory() as work:
        django_setup(options.database_url or sqlite_url(Path(work)), Path(work))
        from identities.models import Identity
        from identities.selectors import identity_search

        rng = random.Random(0)
        Identity.objects.bulk_create(
            Identity(
                name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} {number}",
                aliases=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" if number % 10 == 0 else "",
            )
            for number in range(options.identities)
        )
        texts = [rng.choice(GIVEN + FAMILY)[: rng.randint(1, 4)] for _ in range(options.queries)]
        timings = []
        for text in texts:
            started = time.perf_counter()
            identity_search(text, limit=10)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        print(
            f"{options.identities:,} identities, {options.queries} searches of 1-4 letters, 10 answers each"
        )
        print(
            f"p50 {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95)]:.1f} ms, "
            f"max {timings[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
