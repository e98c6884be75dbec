"""The RQ worker class every worker of the site runs (settings.RQ["WORKER_CLASS"])."""

import ctypes
import os
import signal
import sys

from rq import Worker

# prctl(2) option: the signal a process gets when the thread that forked it ends.
PR_SET_PDEATHSIG = 1


class SupervisedWorker(Worker):
    """A Worker whose work horse dies with it.

    RQ forks a work horse per job and moves it into a process group of its own, so a
    worker that is killed (kill -9, out of memory, `make run` stopping) would leave its
    horse running the job unsupervised, training a model nobody watches. Here the horse
    asks the kernel for SIGKILL when its worker ends, and exits at once if the worker
    already ended before it could ask.
    """

    def fork_work_horse(self, job, queue):
        self._supervisor_pid = os.getpid()
        super().fork_work_horse(job, queue)

    def main_work_horse(self, job, queue):
        _die_with_parent()
        if os.getppid() != self._supervisor_pid:
            os._exit(1)
        super().main_work_horse(job, queue)


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
