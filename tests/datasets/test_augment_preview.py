import base64
import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from tests.datasets.builders import build, make_approved


@pytest.fixture
def dataset(db):
    make_approved("Ann", 5)
    return build(min_faces=5, per_identity=5)


def _pixels(data_uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))))


def test_preview_shows_augmented_samples_of_a_training_face(admin_web, dataset):
    item = dataset.items.filter(split="train").order_by("pk").last()
    response = admin_web.get(reverse("augment_preview", args=[dataset.pk]), {"face": item.face_id})
    assert response.status_code == 200
    assert response.context["item"] == item
    samples = [_pixels(uri) for uri in response.context["samples"]]
    assert len(samples) == 12 and all(sample.shape == (64, 64, 3) for sample in samples)
    assert len({sample.tobytes() for sample in samples}) > 1


def test_settings_change_what_the_preview_shows(admin_web, dataset):
    item = dataset.items.filter(split="train").first()
    off = {"rotation": 0, "scale": 0, "brightness": 0, "crop": 0, "target_per_identity": 500}
    response = admin_web.get(reverse("augment_preview", args=[dataset.pk]), {"face": item.face_id, **off})
    with default_storage.open(item.file, "rb") as handle:
        original = np.asarray(Image.open(handle).convert("RGB"))
    assert all(np.array_equal(_pixels(uri), original) for uri in response.context["samples"])


def test_bad_settings_show_the_form_errors_instead_of_samples(admin_web, dataset):
    response = admin_web.get(
        reverse("augment_preview", args=[dataset.pk]),
        {"rotation": 500, "scale": 0, "brightness": 0, "crop": 0, "target_per_identity": 500},
    )
    assert response.status_code == 200 and "samples" not in response.context
    assert "less than or equal to 180" in response.content.decode()
