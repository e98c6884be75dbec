import django_rq
from django.db import connections
from rq import SimpleWorker


def burst_work(*queue_names: str) -> None:
    """Run every queued job of these queues in a real RQ worker, in this process, then return.

    A forked work horse deadlocks once this test process has loaded TensorFlow (the mtcnn
    tests do): TensorFlow's thread pools do not survive fork(). Deployed workers never load
    TensorFlow before forking, so they are not affected; the kill tests still run forked
    horses in worker subprocesses.
    """
    connections.close_all()
    django_rq.get_worker(*queue_names, worker_class=SimpleWorker).work(burst=True)
