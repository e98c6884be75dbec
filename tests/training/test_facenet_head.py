import numpy as np
import pytest

from recognition.models import ModelVersion
from recognition.services.training import train_start
from tests.training.builders import make_tiny_dataset, tiny_config
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


def test_facenet_head_trains_on_cached_embeddings_and_reports_the_baseline(admin, rq_queues):
    dataset = make_tiny_dataset()
    config = tiny_config(architecture="facenet_head", epochs=3, batch_size=4)
    model_version = train_start(dataset=dataset, config=config, actor=admin)
    burst_work("train")
    model_version.refresh_from_db()
    assert model_version.status == ModelVersion.Status.READY, model_version.job.error
    for split in ("train", "validation", "test"):
        assert (model_version.artifact_path() / f"embeddings-{split}.npz").exists()
    baseline = model_version.metrics["baseline_nearest_centroid"]
    assert 0 <= baseline["top1"] <= baseline["top5"] == 1.0
    assert model_version.adapter.image_layer_names() == []
    chip = np.full((160, 160, 3), 128, dtype=np.uint8)
    [matches] = model_version.adapter.predict([chip])
    assert len(matches) == 3 and matches[0].score >= matches[-1].score
