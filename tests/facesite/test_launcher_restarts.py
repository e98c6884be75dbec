"""`make run` restarts a worker or Redis that dies, and leaves no process behind when it stops."""

import os
import signal
import time

from rq import Queue, Worker

from tests.facesite.launching import job_done_by_the_worker, running_site


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 (Redis may be down or restarting meanwhile)
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def worker_pids(site) -> set[int]:
    return {worker.pid for worker in Worker.all(connection=site.redis) if is_running(worker.pid)}


def test_a_killed_worker_and_a_killed_redis_come_back(tmp_path):
    with running_site(tmp_path) as site:
        assert job_done_by_the_worker(site) == 4.0
        (first_worker,) = wait_for(lambda: worker_pids(site), "a worker registering")

        os.kill(first_worker, signal.SIGKILL)
        wait_for(lambda: worker_pids(site) - {first_worker}, "a new worker registering")
        assert job_done_by_the_worker(site) == 4.0

        first_redis = site.redis.info()["process_id"]
        os.kill(first_redis, signal.SIGKILL)
        wait_for(lambda: site.redis.info()["process_id"] != first_redis, "a new Redis answering")
        assert job_done_by_the_worker(site) == 4.0
        assert site.process.poll() is None

    output = site.output()
    assert "The worker process exited (code -9); restarting it." in output
    assert "The redis process exited (code -9); restarting it." in output


def test_stopping_leaves_no_child_behind_not_even_a_work_horse(tmp_path):
    pid_file = tmp_path / "horse.pid"
    with running_site(tmp_path) as site:
        Queue("train", connection=site.redis).enqueue(
            "tests.facesite.horse_jobs.write_pid_and_sleep", str(pid_file), 600, job_timeout=900
        )
        horse = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), "the job starting"))
        (worker,) = worker_pids(site)
        redis_server = site.redis.info()["process_id"]
        try:
            assert site.stop() == 0
            still_running = [pid for pid in (horse, worker, redis_server) if is_running(pid)]
        finally:
            if is_running(horse):
                os.kill(horse, signal.SIGKILL)
    assert still_running == [], site.output()
