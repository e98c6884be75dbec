"""The small framework every background job runs in: progress reports and RQ's verdicts.

A job kind (pipeline.kinds, registered by the app that owns it) names the RQ queue it runs
on and its entry point. The entry point is called as `run(job_run=..., progress=...)` and
returns a summary (a dict of counts); it reports progress through JobProgress and raises
FacesiteError for problems a person can fix.
"""

import logging
import re
import signal
import time
from collections import deque

from pipeline.models import JobRun

logger = logging.getLogger(__name__)

# The log tail keeps the last lines a job wrote, each cut to a screen's width, so a job
# that logs a line for each of 100,000 files still fits in one small row.
LOG_TAIL_LINES = 200
LOG_LINE_MAX_CHARS = 300
# Progress reaches the database at most this often (seconds): a job that handles
# hundreds of files a second must not spend its time writing its own progress.
PROGRESS_WRITE_INTERVAL = 0.5


class JobStopped(Exception):
    """The run was stopped or cancelled from the jobs page while it worked."""


class JobProgress:
    """What a running job reports: done/total, the current step, log lines and its counts.

    Each report updates this object; the row is written when the step changes and
    otherwise at most every PROGRESS_WRITE_INTERVAL seconds. A write that finds the run
    no longer running (stopped from the page) raises JobStopped, so a job ends soon even
    if RQ's stop command never reached its worker.
    """

    def __init__(self, job_run: JobRun, write_interval: float = PROGRESS_WRITE_INTERVAL) -> None:
        self.job_run = job_run
        self.write_interval = write_interval
        self.done = job_run.progress_done
        self.total = job_run.progress_total
        self.step_text = job_run.current_step
        self.summary: dict = {}
        self.log_lines: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._last_write = 0.0

    def step(self, text: str) -> None:
        logger.info("Job %s: %s", self.job_run.pk, text)
        self.step_text = text
        self.write(force=True)

    def describe(self, text: str) -> None:
        """Change the current step's wording (e.g. a running count), written at the usual pace."""
        self.step_text = text
        self.write()

    def advance(self, done: int, total: int | None = None, summary: dict | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if summary is not None:
            self.summary = summary
        self.write(force=done == self.total)

    def log(self, line: str) -> None:
        logger.info("Job %s: %s", self.job_run.pk, line)
        self.log_lines.append(line[:LOG_LINE_MAX_CHARS])
        self.write()

    def write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_write < self.write_interval:
            return
        self._last_write = now
        saved = self.job_run.progress_save(
            done=self.done,
            total=self.total,
            step=self.step_text,
            log_lines=self.log_lines,
            summary=self.summary,
        )
        if not saved:
            raise JobStopped()


class PrintingProgress(JobProgress):
    """JobProgress that also hands each step and log line to `on_line` (a command's stdout)."""

    def __init__(self, job_run: JobRun, on_line) -> None:
        super().__init__(job_run)
        self.on_line = on_line

    def step(self, text: str) -> None:
        self.on_line(text)
        super().step(text)

    def log(self, line: str) -> None:
        self.on_line(line)
        super().log(line)


def summary_json(summary) -> dict:
    """A job's summary dataclass as JSON-ready counts.

    dataclasses.asdict() cannot be used: it rebuilds a Counter from (key, count) pairs,
    counting the pairs themselves.
    """
    return {name: dict(value) if isinstance(value, dict) else value for name, value in vars(summary).items()}


def rq_failure_explain(exc_string: str, *, queue_timeout: int | None = None) -> str:
    """A plain sentence for what RQ recorded when a job's work horse did not finish it."""
    if "Work-horse terminated unexpectedly" in exc_string:
        number = re.search(r"signal (\d+)", exc_string)
        how = f" by signal {number[1]} ({signal.Signals(int(number[1])).name})" if number else ""
        return (
            f"The worker process running this job was killed{how} before it finished, for example "
            "by the out-of-memory killer or by hand. What it had stored is kept; Retry does the rest."
        )
    if "AbandonedJobError" in exc_string:
        return (
            "The worker running this job stopped answering: it was killed or its machine restarted. "
            "What it had stored is kept; Retry does the rest."
        )
    if "JobTimeoutException" in exc_string:
        limit = f" of {queue_timeout} seconds" if queue_timeout else ""
        return f"The job ran past its queue's time limit{limit} and was stopped. Retry continues it."
    last_line = exc_string.strip().splitlines()[-1] if exc_string.strip() else "no reason recorded"
    return f"The job failed: {last_line}"
