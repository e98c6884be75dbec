"""A model waiting for a worker already shows its classes, which its dataset fixes."""

from django.urls import reverse

from recognition.models import ModelVersion
from tests.training.builders import make_tiny_dataset
from tests.training.test_models_pages import TINY_FORM


def test_a_queued_model_shows_its_classes(admin_web, rq_queues):
    dataset = make_tiny_dataset(identities=3)
    admin_web.post(reverse("model_new"), {**TINY_FORM, "dataset": dataset.pk})
    model_version = ModelVersion.objects.get()

    page = admin_web.get(model_version.get_absolute_url()).content.decode()
    status = admin_web.get(reverse("model_status", args=[model_version.pk])).json()

    assert model_version.status == "queued"
    assert '<dd id="model-classes">3</dd>' in page
    assert status["class_count"] == 3 and status["job_status_display"] == "queued"
