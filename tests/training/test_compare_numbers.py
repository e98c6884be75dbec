"""The comparison of models shows scores to three decimals, not a float's every digit."""

from django.urls import reverse

from recognition.models import ModelVersion
from tests.training.builders import make_tiny_dataset


def test_compared_scores_are_rounded(admin_web):
    dataset = make_tiny_dataset(identities=2, splits=(("train", 1), ("validation", 1), ("test", 1)))
    models = [
        ModelVersion.objects.create(
            dataset=dataset,
            architecture="facenet_head",
            status="ready",
            metrics={"top1": 0.5079751014709473, "top5": 1.0, "unknown_rejection_rate": 0.3333333333},
            unknown_threshold=0.41234567,
            config={"seed": 7, "learning_rate": 0.0001},
        )
        for _ in range(2)
    ]
    query = "&".join(f"id={model.pk}" for model in models)

    page = admin_web.get(f"{reverse('model_list')}?compare=1&{query}").content.decode()

    assert "0.5079751014709473" not in page and "0.3333333333" not in page and "0.41234567" not in page
    assert page.count('<td class="num">0.508</td>') == 4  # compared, and in the list
    assert page.count('<td class="num">0.333</td>') == 4 and page.count('<td class="num">0.412</td>') == 2
    assert page.count('<td class="num">0.0001</td>') == 2
