from pipeline.datasets import dataset_classes, dataset_split_items
from pipeline.models import DatasetItem, DatasetVersion
from tests.factories import make_identity


def test_classes_in_label_order_and_items_of_one_split(db):
    zoe, adam = make_identity("Zoe"), make_identity("Adam")
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY)
    rows = [
        (zoe, 1, "train", "z1.jpg", 2),
        (adam, 0, "train", "a1.jpg", 1),
        (adam, 0, "test", "a2.jpg", 1),
        (zoe, 1, "validation", "z2.jpg", 1),
    ]
    DatasetItem.objects.bulk_create(
        DatasetItem(
            dataset=dataset,
            identity=identity,
            identity_name=identity.name,
            label=label,
            split=split,
            file=file,
            repeats=repeats,
        )
        for identity, label, split, file, repeats in rows
    )
    assert dataset_classes(dataset) == [
        {"identity_id": adam.pk, "name": "Adam"},
        {"identity_id": zoe.pk, "name": "Zoe"},
    ]
    assert dataset_split_items(dataset, "train") == [("a1.jpg", 0, 1), ("z1.jpg", 1, 2)]
    assert dataset_split_items(dataset, "test") == [("a2.jpg", 0, 1)]
