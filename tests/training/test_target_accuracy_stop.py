import pytest

from recognition.models import ModelVersion
from recognition.services.training import train_start
from tests.training.builders import make_tiny_dataset, tiny_config
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


def test_training_stops_once_validation_accuracy_reaches_the_target(admin, rq_queues):
    model_version = train_start(
        dataset=make_tiny_dataset(), config=tiny_config(epochs=3, target_accuracy=0.0), actor=admin
    )
    burst_work("train")
    model_version.refresh_from_db()
    assert model_version.status == ModelVersion.Status.READY
    assert [row["epoch"] for row in model_version.history] == [1]
    assert model_version.job.summary["epochs"] == 1
    # No approved faces of anyone outside the dataset: the rate is not made up.
    assert model_version.metrics["unknown"]["rejection_rate"] is None
    assert model_version.metrics["unknown"]["note"].startswith("not measured: no held-out identities")
