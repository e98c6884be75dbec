import pytest
from django.urls import reverse

from recognition.models import ModelVersion
from tests.training.builders import make_tiny_dataset
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)

TINY_FORM = {
    "architecture": "small_cnn",
    "name": "from the browser",
    "input_size": 32,
    "epochs": 2,
    "batch_size": 8,
    "learning_rate": 0.001,
    "target_accuracy": 1.0,
    "patience": 5,
    "seed": 3,
    "rotation": 10,
    "scale": 0.1,
    "brightness": 0.2,
    "crop": 0.1,
    "horizontal_flip": "on",
    "target_per_identity": 16,
}


def test_train_from_the_form_then_read_the_model_page(admin_web, rq_queues):
    dataset = make_tiny_dataset()
    form_page = admin_web.get(reverse("model_new"))
    assert "Start training" in form_page.content.decode()

    response = admin_web.post(reverse("model_new"), {**TINY_FORM, "dataset": dataset.pk})
    model_version = ModelVersion.objects.get()
    assert response.url == reverse("model_detail", args=[model_version.pk])
    assert model_version.config["seed"] == 3 and model_version.config["augmentation"]["rotation"] == 10
    assert admin_web.get(reverse("model_status", args=[model_version.pk])).json()["status"] == "queued"

    burst_work("train")
    status = admin_web.get(reverse("model_status", args=[model_version.pk])).json()
    assert status["status"] == "ready" and len(status["history"]) == 2
    page = admin_web.get(reverse("model_detail", args=[model_version.pk])).content.decode()
    assert "Top-1 accuracy" in page and "Activate for recognition" in page
    figure = admin_web.get(reverse("model_figure", args=[model_version.pk, "training_curves.png"]))
    assert figure["Content-Type"] == "image/png"
    assert admin_web.get(reverse("model_figure", args=[model_version.pk, "config.json"])).status_code == 404
    listing = admin_web.get(reverse("model_list")).content.decode()
    assert "from the browser" in listing


def test_bad_settings_are_shown_on_the_form(admin_web):
    dataset = make_tiny_dataset(identities=2, splits=(("train", 1), ("validation", 1), ("test", 1)))
    form = {**TINY_FORM, "dataset": dataset.pk, "architecture": "inception_v3", "input_size": 48}
    response = admin_web.post(reverse("model_new"), form)
    assert response.status_code == 200
    assert "inception_v3 needs an input size of at least 75 pixels" in response.content.decode()
    assert not ModelVersion.objects.exists()


def test_ticked_models_are_compared_side_by_side(admin_web):
    dataset = make_tiny_dataset(identities=2, splits=(("train", 1), ("validation", 1), ("test", 1)))
    models = [
        ModelVersion.objects.create(
            dataset=dataset,
            architecture=architecture,
            status="ready",
            metrics={"top1": top1},
            config={"seed": 7},
        )
        for architecture, top1 in (("small_cnn", 0.81), ("facenet_head", 0.93))
    ]
    query = "&".join(f"id={model.pk}" for model in models)
    page = admin_web.get(f"{reverse('model_list')}?compare=1&{query}").content.decode()
    assert "Comparison" in page and "0.81" in page and "0.93" in page
