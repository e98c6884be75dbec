import pytest
from django.urls import reverse

from identities.models import AuditEvent
from pipeline.models import DatasetVersion
from recognition.models import ModelVersion


@pytest.fixture
def ready_models(db):
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY)
    return [
        ModelVersion.objects.create(
            dataset=dataset, architecture="small_cnn", status=ModelVersion.Status.READY
        )
        for _ in range(2)
    ]


def activate(web, model_version):
    return web.post(reverse("model_activate", args=[model_version.pk]), follow=True)


def test_one_model_is_active_at_a_time_and_each_change_is_audited(admin_web, ready_models):
    first, second = ready_models
    activate(admin_web, first)
    response = activate(admin_web, second)
    assert "is now the active model" in response.content.decode()
    assert ModelVersion.objects.active().first() == second
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]
    events = AuditEvent.objects.filter(action="model.activate").order_by("pk")
    assert [(event.before, event.after) for event in events] == [
        ({"active_model": None}, {"active_model": first.pk}),
        ({"active_model": first.pk}, {"active_model": second.pk}),
    ]
    admin_web.post(reverse("model_deactivate", args=[second.pk]))
    assert ModelVersion.objects.active().first() is None


def test_only_ready_models_can_be_activated(admin_web, ready_models):
    failed = ready_models[0]
    failed.status = ModelVersion.Status.FAILED
    failed.save()
    response = activate(admin_web, failed)
    assert "only a ready model can be activated" in response.content.decode()
    assert ModelVersion.objects.active().first() is None


def test_a_reviewer_cannot_activate_or_see_models(reviewer_web, ready_models):
    assert reviewer_web.post(reverse("model_activate", args=[ready_models[0].pk])).status_code == 403
    assert reviewer_web.get(reverse("model_list")).status_code == 403
    assert ModelVersion.objects.active().first() is None
