from collections import Counter, defaultdict

import pytest

from pipeline.models import DatasetItem
from tests.datasets.builders import build, make_approved


@pytest.fixture
def dataset(db):
    make_approved("Many", 60)
    make_approved("Few", 20)
    make_approved("Least", 10)
    return build(min_faces=10, per_identity=30, split="70/20/10", seed=3)


def test_each_face_is_in_one_split_and_only_training_faces_repeat(dataset):
    splits_of_face = defaultdict(set)
    for item in dataset.items.all():
        splits_of_face[item.face_id].add(item.split)
        if item.split != DatasetItem.Split.TRAIN:
            assert item.repeats == 1
    assert all(len(splits) == 1 for splits in splits_of_face.values())
    assert dataset.items.count() == len(splits_of_face)


def test_identities_above_the_target_are_sampled_down_and_split_per_identity(dataset):
    counts = Counter(dataset.items.values_list("identity_name", "split"))
    # 30 faces: validation 20% = 6, test 10% = 3, training the other 21.
    assert (counts["Many", "train"], counts["Many", "validation"], counts["Many", "test"]) == (21, 6, 3)
    # 20 faces: 4 and 2; 10 faces: 2 and 1 (rounded to the nearest face).
    assert (counts["Few", "train"], counts["Few", "validation"], counts["Few", "test"]) == (14, 4, 2)
    assert (counts["Least", "train"], counts["Least", "validation"], counts["Least", "test"]) == (7, 2, 1)


def test_training_faces_below_the_target_repeat_to_count_as_much_as_a_full_identity(dataset):
    weighted = Counter()
    for name, repeats in dataset.items.filter(split="train").values_list("identity_name", "repeats"):
        weighted[name] += repeats
    assert weighted == {"Many": 21, "Few": 21, "Least": 21}
    assert set(
        dataset.items.filter(identity_name="Few", split="train").values_list("repeats", flat=True)
    ) == {1, 2}
    assert dataset.summary["splits"] == {"train": 42, "validation": 12, "test": 6}


def test_labels_follow_the_sorted_names(dataset):
    labels = dict(dataset.items.values_list("identity_name", "label").distinct())
    assert labels == {"Few": 0, "Least": 1, "Many": 2}


def test_every_identity_gets_a_validation_and_a_test_face(db):
    make_approved("Tiny", 3)
    dataset = build(min_faces=3, per_identity=50, split="90/5/5")
    assert Counter(dataset.items.values_list("split", flat=True)) == {"train": 1, "validation": 1, "test": 1}
    # A full identity of 50 keeps 3 + 3 faces (2.5 rounded up) back, so trains on 44.
    assert dataset.items.get(split="train").repeats == 44
