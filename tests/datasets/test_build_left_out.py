import pytest
from django.core.management import CommandError

from pipeline.models import DatasetVersion
from tests.datasets.builders import build, make_approved
from tests.factories import make_pending_faces


def test_identities_below_the_minimum_or_archived_are_left_out_with_the_reason(db):
    make_approved("Ready", 30)
    short = make_approved("Short", 12)
    make_pending_faces(short, 40)
    make_approved("Hidden", 40, archived=True)
    dataset = build()
    assert set(dataset.items.values_list("identity_name", flat=True)) == {"Ready"}
    assert {row["name"]: row["reason"] for row in dataset.summary["left_out"]} == {
        "Short": "12 approved faces, needs 30",
        "Hidden": "archived",
    }
    assert dataset.config == {"min_faces": 30, "per_identity": 50, "split": [70, 20, 10], "seed": 0}


def test_nothing_to_build_fails_the_version_with_a_clear_message(db):
    make_approved("Short", 5)
    with pytest.raises(CommandError, match="No identity has 30 or more approved faces"):
        build()
    dataset = DatasetVersion.objects.get()
    assert dataset.status == DatasetVersion.Status.FAILED
    assert "No identity" in dataset.summary["error"]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"split": "70/30"}, "three whole percentages"),
        ({"split": "80/20/0"}, "at least 1"),
        ({"min_faces": 2}, "at least 3"),
    ],
)
def test_bad_rules_are_refused_before_anything_is_made(db, options, message):
    with pytest.raises(CommandError, match=message):
        build(**options)
    assert not DatasetVersion.objects.exists()
