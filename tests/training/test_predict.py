"""model_predict, the interface of the upload page, and the unknown threshold it is judged against."""

import numpy as np
import pytest

from identities.images import stored_image_rgb
from identities.models import Face
from recognition.gallery.thresholds import UNKNOWN_KEEP
from recognition.services.training import train_start
from tests.training.builders import make_tiny_dataset, tiny_config
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


def crop_read(name: str) -> np.ndarray:
    return np.asarray(stored_image_rgb(name))


def test_top_five_best_first_for_chips_of_any_size_and_a_calibrated_threshold(admin, rq_queues):
    dataset = make_tiny_dataset(outside=4)
    model_version = train_start(dataset=dataset, config=tiny_config(), actor=admin)
    burst_work("train")
    model_version.refresh_from_db()

    chip = crop_read(dataset.items.filter(split="test").first().file)
    big_chip = np.asarray(np.kron(chip, np.ones((2, 2, 1))), dtype=np.uint8)
    answers = model_version.adapter.predict([chip, big_chip])
    assert len(answers) == 2
    for matches in answers:
        assert [match.score for match in matches] == sorted((match.score for match in matches), reverse=True)
        assert {match.name for match in matches} == {"Person A", "Person B", "Person C"}
        assert sum(match.score for match in matches) == pytest.approx(1.0, abs=1e-3)
        assert all(match.identity_id for match in matches)
    assert model_version.adapter.image_layer_names() == ["conv1", "conv2", "conv3", "conv4"]

    threshold = model_version.unknown_threshold
    validation_scores, _ = model_version.adapter.split_scores("validation")
    assert 0 < threshold < 1
    assert np.mean(validation_scores.max(axis=1) >= threshold) >= UNKNOWN_KEEP
    strangers = Face.objects.filter(identity__name="Stranger").order_by("pk")
    stranger_answers = model_version.adapter.predict([crop_read(face.file) for face in strangers])
    rejected = np.mean([matches[0].score < threshold for matches in stranger_answers])
    assert model_version.metrics["unknown"]["outside_faces"] == 4
    assert model_version.metrics["unknown_rejection_rate"] == pytest.approx(rejected, abs=1e-4)
