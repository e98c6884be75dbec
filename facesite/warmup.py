"""Warming a web process up in the background after it starts (settings.FACESITE_WARM_UP).

The functions are named by dotted path, as the apps that own the networks provide them;
facesite imports no app. Once warm, what the process loaded is frozen for the garbage
collector (_loaded_freeze).
"""

import gc
import logging
import resource
import threading
import time

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

THREAD_NAME = "facesite-warm-up"


def warm_up_start() -> threading.Thread | None:
    """Start the warm-up thread, unless there is nothing to warm; return it."""
    names = list(settings.FACESITE_WARM_UP)
    if not names:
        _loaded_freeze()
        return None
    # A daemon thread: a process that is told to stop does not wait for it.
    thread = threading.Thread(target=_warm_up, args=(names,), name=THREAD_NAME, daemon=True)
    thread.start()
    return thread


def _warm_up(names: list[str]) -> None:
    for name in names:
        started, memory_before = time.perf_counter(), _resident_mib()
        try:
            import_string(name)()
        except Exception:
            logger.exception("Warming up with %s failed; the first request that needs it loads it.", name)
            continue
        logger.info(
            "Warmed up with %s in %.1f s; resident memory +%d MiB (now %d MiB).",
            name,
            time.perf_counter() - started,
            _resident_mib() - memory_before,
            _resident_mib(),
        )
    _loaded_freeze()


def _loaded_freeze() -> None:
    """Keep what the process has loaded out of the garbage collector's full collections.

    With TensorFlow and the networks loaded a web process tracks some 390,000 objects, and
    a full collection walked them all: 190 ms holding the GIL, every request thread of the
    worker waiting, every couple of thousand requests (76 ms without the networks). They
    live as long as the process, so a collection never frees them; frozen (gc.freeze), a
    full collection walks only what later requests made (5 ms).
    """
    gc.collect()
    gc.freeze()


def _resident_mib() -> int:
    """This process's resident memory in MiB (Linux; elsewhere its peak so far)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() // 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
