"""Time fetching the next review batch and recording a vote: 200,000 faces, 20 reviewers at once.

    .venv/bin/python benchmarks/review_queue.py                 # throwaway SQLite file
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE facesite_bench_review'
    .venv/bin/python benchmarks/review_queue.py --database-url postgres://postgres@127.0.0.1:5432/facesite_bench_review
    psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE facesite_bench_review'

1. Migrate the database and fill it: 5,000 identities of 40 faces each, 60% of them
   pending, a fifth of those with one vote already, and stored counts. No image files:
   a batch names image URLs and never opens one.
2. Collect static files (as `make run` does), start a private redis-server (a decision
   queues a gallery job, as in production; without Redis every decision would record a
   failed job instead) and gunicorn with gthread workers on a free loopback port.
3. Run each phase in --phases, REVIEWERSxTHINK_MS (default: 1 reviewer with no pauses,
   for the service time; 20 at a person's pace of about a second a crop; 20 with no
   pauses, to show where the server saturates). Each reviewer client is a thread with
   its own session and keep-alive connection. For --seconds it repeats: POST
   /review/batch/?prefer=<identity on screen> (the next batch, leased), then one POST
   /review/decisions/ per crop, as the page sends decisions while a person works. It
   pauses before each decision (random, averaging THINK_MS) and starts at a random
   moment in its first two pauses, as people do not start on the same millisecond.
4. Print p50/p95/p99/max milliseconds for both, the request rate, the gunicorn workers'
   CPU time per request (less sensitive than latency to other work on a shared machine),
   and checks: no vote refused, and no face holding more votes than the consensus rule
   allows.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from bench_rows import photos_and_faces_create

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FACES_PER_IDENTITY = 40
PHOTOS_PER_IDENTITY = 4


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database; default: a temporary SQLite file"
    )
    parser.add_argument("--faces", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=30, help="how long each phase runs")
    parser.add_argument(
        "--phases",
        nargs="+",
        default=["1x0", "20x1000", "20x0"],
        help="REVIEWERSxTHINK_MS per phase: clients at once, and their average pause before a decision",
    )
    parser.add_argument(
        "--assist",
        choices=["off", "suggest", "trust"],
        default="suggest",
        help="FACESITE_REVIEW_ASSIST; with suggest or trust every pending face has an assessment",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=10, help="threads per gunicorn worker")
    return parser.parse_args()


def django_setup(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
    sys.path.insert(0, str(PROJECT_ROOT))
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(face_total: int) -> None:
    """Identities with stored counts, a few shared photos each, faces, and some earlier votes."""
    from django.contrib.auth.models import Group, User

    from identities.models import Face, Identity, ReviewVote

    if Identity.objects.exists():
        sys.exit("The benchmark database already holds identities; give it an empty one.")
    generator = random.Random(7)
    statuses = ["pending"] * 6 + ["approved"] * 3 + ["rejected"]
    identity_total = face_total // FACES_PER_IDENTITY
    plans = [[generator.choice(statuses) for _ in range(FACES_PER_IDENTITY)] for _ in range(identity_total)]
    identities = Identity.objects.bulk_create(
        (
            Identity(
                name=f"Person {number:05d}",
                pending_count=plan.count("pending"),
                approved_count=plan.count("approved"),
                rejected_count=plan.count("rejected"),
            )
            for number, plan in enumerate(plans)
        ),
        batch_size=1000,
    )
    photos_and_faces_create(
        identities, plans, photos_each=PHOTOS_PER_IDENTITY, detector="haar", generator=generator
    )
    # An earlier reviewer left one vote on a fifth of the pending faces: those need one more.
    earlier = User.objects.create_user("bench-earlier", password=None)
    pending_ids = list(Face.objects.filter(status="pending").values_list("pk", flat=True))
    voted_ids = generator.sample(pending_ids, len(pending_ids) // 5)
    ReviewVote.objects.bulk_create(
        (ReviewVote(face_id=face_id, reviewer=earlier, decision="approved") for face_id in voted_ids),
        batch_size=5000,
    )
    Face.objects.filter(pk__in=voted_ids).update(approve_votes=1)
    earlier.groups.add(Group.objects.get(name="reviewer"))


def assessments_create(generator: random.Random) -> None:
    """A review assistance verdict for every pending face, as the job writes them: a
    FaceNet-sized vector, bands in about the shares the CelebA benchmark found
    (benchmarks/review_effort.py), a lookalike for the suspicious ones."""
    from django.utils import timezone

    from identities.models import Face, FaceAssessment, Identity

    bands = ["likely"] * 77 + ["look"] * 2 + ["other"] * 19 + ["not_face"] * 2
    now, vector = timezone.now(), bytes(512 * 4)
    identity_ids = list(Identity.objects.values_list("pk", flat=True))
    pending = Face.objects.filter(status="pending").values_list("pk", flat=True)
    rows = []
    for face_id in pending.iterator(chunk_size=5000):
        band = generator.choice(bands)
        rows.append(
            FaceAssessment(
                face_id=face_id, embedder="facenet", vector=vector, band=band,
                rank=FaceAssessment.BAND_RANKS[band], core_score=generator.random(), core_source="cluster",
                lookalike_id=generator.choice(identity_ids) if band == "other" else None, lookalike_score=0.5,
                size=100, confidence=0.9, sharpness=100.0, computed_at=now,
            )
        )  # fmt: skip
    FaceAssessment.objects.bulk_create(rows, batch_size=2000)


def reviewer_sessions(count: int) -> list[str]:
    """Reviewer accounts, each logged in: the session keys their clients send."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    group = Group.objects.get(name="reviewer")
    keys = []
    for number in range(count):
        user = User.objects.create_user(f"bench-reviewer-{number}", password=None)
        user.groups.add(group)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        # The backend that loads users: the first one is django-axes', which only throttles.
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "facesite.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads),
        "--no-control-socket",
    ]  # fmt: skip
    log = log_path.open("w")
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit(f"gunicorn did not start; see {log_path}")


class ReviewerClient:
    """One reviewer's browser: a session cookie, a CSRF pair, one keep-alive connection."""

    def __init__(self, port: int, session_key: str, number: int):
        self.port = port
        self.number = number
        self.csrf = secrets.token_hex(16)
        self.cookie = f"sessionid={session_key}; csrftoken={self.csrf}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
        headers = {"Cookie": self.cookie, "X-CSRFToken": self.csrf}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                return response.status, content, (time.perf_counter() - started) * 1000
            except (http.client.HTTPException, ConnectionError):
                # The server closed a kept-alive connection; open a new one and ask again.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def identity_id_in(fragment: bytes) -> str:
    marker = b'data-identity-id="'
    start = fragment.find(marker)
    if start == -1:
        return ""
    start += len(marker)
    return fragment[start : fragment.index(b'"', start)].decode()


def face_ids_in(fragment: bytes) -> list[int]:
    marker = b'data-face-id="'
    ids, position = [], fragment.find(marker)
    while position != -1:
        start = position + len(marker)
        ids.append(int(fragment[start : fragment.index(b'"', start)]))
        position = fragment.find(marker, start)
    return ids


def client_run(
    client: ReviewerClient, stop_at: float, think_ms: float, results: dict, lock: threading.Lock
) -> None:
    generator = random.Random(client.number)
    fetches, votes, refused, failures = [], [], 0, 0
    # People do not start on the same millisecond; a crowd that did would measure a queue.
    time.sleep(generator.uniform(0, 2 * think_ms) / 1000)
    identity_id = ""
    while time.monotonic() < stop_at:
        # As the page does: ask for more of the identity on screen first.
        status, content, elapsed = client.request("POST", f"/review/batch/?prefer={identity_id}")
        if status != 200:
            failures += 1
            continue
        fetches.append(elapsed)
        identity_id = identity_id_in(content)
        for face_id in face_ids_in(content):
            time.sleep(generator.uniform(0.5, 1.5) * think_ms / 1000)
            if time.monotonic() >= stop_at:
                break
            if generator.random() < 0.85:
                operation = {"face": face_id, "action": "approved", "reason": ""}
            else:
                operation = {"face": face_id, "action": "rejected", "reason": "poor_quality"}
            body = json.dumps({"operations": [operation]}).encode()
            status, content, elapsed = client.request("POST", "/review/decisions/", body)
            if status != 200:
                failures += 1
                continue
            votes.append(elapsed)
            refused += sum(not result["saved"] for result in json.loads(content)["results"])
    with lock:
        results["fetch"].extend(fetches)
        results["vote"].extend(votes)
        results["refused"] += refused
        results["failures"] += failures


def phase_run(clients: list[ReviewerClient], think_ms: float, seconds: float) -> dict:
    results = {"fetch": [], "vote": [], "refused": 0, "failures": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client_run, args=(client, stop_at, think_ms, results, lock))
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time the gunicorn workers have used so far, user and system (Linux /proc)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total_ticks = 0
    for pid in children:
        # Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total_ticks += int(fields[11]) + int(fields[12])
    return total_ticks / os.sysconf("SC_CLK_TCK")


def percentiles(timings: list[float]) -> str:
    if len(timings) < 2:
        return "too few requests"
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return (
        f"{len(timings):>7,}{statistics.median(timings):>9.1f}{cuts[94]:>9.1f}{cuts[98]:>9.1f}"
        f"{max(timings):>9.1f}"
    )


def consistency_report() -> str:
    """The rule allows at most `consensus` votes on a side, and 2 x consensus - 1 in all."""
    from django.conf import settings
    from django.db.models import F, Q

    from identities.models import Face, ReviewLease

    required = settings.FACESITE_REVIEW_CONSENSUS
    over_voted = Face.objects.filter(
        Q(approve_votes__gt=required)
        | Q(reject_votes__gt=required)
        | Q(approve_votes__gt=2 * required - 1 - F("reject_votes"))
    )
    return (
        f"faces decided by votes in the run: {Face.objects.filter(decided_at__isnull=False).count():,}; "
        f"faces with more votes than the rule allows: {over_voted.count()}; "
        f"leases held at the end: {ReviewLease.objects.count():,}"
    )


def main() -> None:
    options = arguments()
    work_directory = Path(tempfile.mkdtemp(prefix="facesite-bench-review-"))
    server = redis = None
    try:
        database_url = options.database_url or f"sqlite:///{work_directory / 'bench.sqlite3'}"
        environment = {
            "DATABASE_URL": database_url,
            "FACESITE_VAR_DIR": str(work_directory),
            "MEDIA_ROOT": str(work_directory / "media"),
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": f"unix://{work_directory / 'redis.sock'}?db=0",
            "FACESITE_REVIEW_ASSIST": options.assist,
        }
        django_setup(environment)
        from django.db import connection

        started = time.perf_counter()
        populate(options.faces)
        if options.assist != "off":
            assessments_create(random.Random(8))
        phases = [tuple(int(number) for number in phase.split("x")) for phase in options.phases]
        session_keys = reviewer_sessions(max(reviewers for reviewers, _ in phases))
        print(
            f"{connection.vendor}: {options.faces:,} faces in {options.faces // FACES_PER_IDENTITY:,} "
            f"identities made in {time.perf_counter() - started:.0f} s; review assistance {options.assist}"
        )
        connection.close()
        # The server renders pages with the collected static files' manifest, as `make run` does.
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        from facesite.redis_server import redis_server_start

        redis = redis_server_start(
            work_directory / "redis.sock", work_directory / "redis", work_directory / "redis.log"
        )
        port = free_port()
        server = server_start(port, options.workers, options.threads, work_directory / "gunicorn.log")
        clients = [ReviewerClient(port, key, number) for number, key in enumerate(session_keys)]
        # One request each first, so workers, connections and templates are warm.
        for client in clients:
            client.request("GET", "/review/")
        print(
            f"gunicorn ({options.workers} workers x {options.threads} threads) on loopback, "
            f"{options.seconds:.0f} s a phase"
        )
        print(
            f"{'reviewers':>9} {'think':>6}  {'request':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}"
            f"{'p99 ms':>9}{'max ms':>9}"
        )
        for reviewers, think_ms in phases:
            cpu_before = server_cpu_seconds(server)
            results = phase_run(clients[:reviewers], think_ms, options.seconds)
            cpu_used = server_cpu_seconds(server) - cpu_before
            print(f"{reviewers:>9} {think_ms:>4}ms  {'fetch next batch':<18}{percentiles(results['fetch'])}")
            print(f"{'':>17}  {'record a vote':<18}{percentiles(results['vote'])}")
            total = len(results["fetch"]) + len(results["vote"])
            print(
                f"{'':>17}  {total / options.seconds:.0f} requests/s; "
                f"server CPU {1000 * cpu_used / max(total, 1):.1f} ms a request; "
                f"votes refused: {results['refused']}; failed requests: {results['failures']}; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
        print(consistency_report())
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=30)
        shutil.rmtree(work_directory, ignore_errors=True)


if __name__ == "__main__":
    main()
