"""The registry of job kinds, filled by the app that owns each kind.

Each app's tasks.py registers its kinds with @job_kind on a thin function
`run(*, job_run, progress) -> dict` that calls the app's service; the app's
AppConfig.ready() imports tasks.py, so every process (web, worker, command) knows every
kind. This module imports nothing of the project, so JobRun can read labels from it and
no app has to list another app's jobs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The length of JobRun.kind: a registered name must fit in the column.
KIND_MAX_LENGTH = 16

JobFunction = TypeVar("JobFunction", bound=Callable[..., dict])


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    queue: str
    # Called as run(job_run=..., progress=...) in the worker; returns the run's summary.
    run: Callable[..., dict]
    # Seconds a run may take; None for its queue's DEFAULT_TIMEOUT (settings.RQ_QUEUES).
    timeout: int | None = None
    # The page of this kind's results, for kinds whose results are not about one object.
    results_url_name: str = ""
    # Queued by the site itself (not by a person), and hidden from the Jobs page by default.
    automatic: bool = False

    @property
    def effective_timeout(self) -> int:
        """The time limit a run of this kind gets, read from the settings when asked."""
        if self.timeout is not None:
            return self.timeout
        return settings.RQ_QUEUES[self.queue]["DEFAULT_TIMEOUT"]


JOB_KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str,
    *,
    label: str,
    queue: str,
    timeout: int | None = None,
    results_url_name: str = "",
    automatic: bool = False,
) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the entry point of the job kind `name`."""

    def register(run: JobFunction) -> JobFunction:
        if len(name) > KIND_MAX_LENGTH:
            raise ImproperlyConfigured(f"Job kind {name!r} is longer than {KIND_MAX_LENGTH} characters.")
        if queue not in settings.RQ_QUEUES:
            raise ImproperlyConfigured(f"Job kind {name!r} names the queue {queue!r}, not in RQ_QUEUES.")
        registered = JOB_KINDS.get(name)
        if registered and _dotted_name(registered.run) != _dotted_name(run):
            both = f"{_dotted_name(registered.run)} and {_dotted_name(run)}"
            raise ImproperlyConfigured(f"Job kind {name!r} is registered twice: {both}.")
        JOB_KINDS[name] = JobKind(
            name=name,
            label=label,
            queue=queue,
            run=run,
            timeout=timeout,
            results_url_name=results_url_name,
            automatic=automatic,
        )
        return run

    return register


def _dotted_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def job_kind_get(name: str) -> JobKind:
    """The registered kind `name`; an unknown name is a programming mistake (ValueError)."""
    try:
        return JOB_KINDS[name]
    except KeyError:
        raise ValueError(f"No job kind {name!r} is registered; known: {', '.join(JOB_KINDS)}.") from None


def automatic_job_kinds() -> list[str]:
    """The kinds the site queues by itself, such as the gallery update after a decision."""
    return [kind.name for kind in JOB_KINDS.values() if kind.automatic]


def job_kind_label(name: str) -> str:
    """The kind's label for pages; the name itself for a kind no app registers (since removed)."""
    kind = JOB_KINDS.get(name)
    return kind.label if kind else name


def job_kind_choices() -> list[tuple[str, str]]:
    """(name, label) of every registered kind, in the order the apps registered them."""
    return [(kind.name, kind.label) for kind in JOB_KINDS.values()]
