"""Training that stops before its last epoch says so, rather than reading "1 / 3" as unfinished."""

import pytest

from recognition.services.training import train_start
from tests.training.builders import make_tiny_dataset, tiny_config
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_early_stop_reads_as_one(admin, admin_web, rq_queues):
    model_version = train_start(
        dataset=make_tiny_dataset(), config=tiny_config(epochs=3, target_accuracy=0.0), actor=admin
    )
    burst_work("train")
    model_version.refresh_from_db()
    job_run = model_version.job

    assert (job_run.progress_done, job_run.progress_total) == (1, 1)
    assert "Stopped early after 1 of at most 3 epochs: validation accuracy reached the target 0.0." in (
        job_run.log_tail
    )
    model_page = admin_web.get(model_version.get_absolute_url()).content.decode()
    assert '<dd id="model-epochs">stopped early after 1 of at most 3</dd>' in model_page
