"""Names in figures are plain text: a "$" in an identity's or a model's name is not maths."""

import pytest
from django.urls import reverse

from identities.models import Identity
from recognition.models import ModelVersion, RecognitionResult
from tests.recognition.uploads import JANE, photo, tiny_active_model, upload
from tests.training.builders import make_tiny_dataset
from tests.training.test_models_pages import TINY_FORM
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)

MATHS_NAME = "$x^$ Mathtext"
MODEL_NAME = r"$\bad$"


def test_a_model_trained_on_a_maths_looking_name_is_evaluated_and_drawn(admin_web, rq_queues):
    dataset = make_tiny_dataset()
    Identity.objects.filter(name="Person A").update(name=MATHS_NAME)
    dataset.items.filter(label=0).update(identity_name=MATHS_NAME)

    admin_web.post(
        reverse("model_new"), {**TINY_FORM, "name": MODEL_NAME, "dataset": dataset.pk, "epochs": 1}
    )
    burst_work("train")

    model_version = ModelVersion.objects.get()
    assert model_version.status == ModelVersion.Status.READY
    assert MATHS_NAME in [identity["name"] for identity in model_version.classes]
    for figure in ("training_curves.png", "confusion.png"):
        response = admin_web.get(reverse("model_figure", args=[model_version.pk, figure]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_the_figures_of_a_model_named_like_maths_are_drawn(uploader_web):
    model_version = tiny_active_model(
        [Identity.objects.create(name=MATHS_NAME), Identity.objects.create(name="B")]
    )
    model_version.name = MODEL_NAME
    model_version.save(update_fields=["name"])
    uploader_web.post(reverse("recognize"), {"image": upload(photo(JANE))})
    result = RecognitionResult.objects.get()

    for figure in ("model-feature-maps", "model-filters", "model-heatmap"):
        response = uploader_web.get(reverse("recognition_figure", args=[result.pk, 1, figure]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
