"""Dataset versions: freezing a manifest of approved faces, split per identity, and reading it."""

from pipeline.models import DatasetItem, DatasetVersion


def dataset_classes(dataset: DatasetVersion) -> list[dict]:
    """The dataset's classes in label order: [{"identity_id": ..., "name": ...}, ...].

    identity_id is None for an identity deleted since the build; its name stays.
    """
    rows = (
        DatasetItem.objects.filter(dataset=dataset)
        .values_list("label", "identity_id", "identity_name")
        .distinct()
        .order_by("label")
    )
    classes: dict[int, dict] = {}
    for label, identity_id, name in rows:
        classes.setdefault(label, {"identity_id": identity_id, "name": name})
    return [classes[label] for label in sorted(classes)]


def dataset_split_items(dataset: DatasetVersion, split: str) -> list[tuple[str, int, int]]:
    """(storage name of the crop, label, repeats) of each item of one split, in manifest order."""
    if split not in DatasetItem.Split.values:
        raise ValueError(f"Unknown split {split!r}; one of {', '.join(DatasetItem.Split.values)}.")
    items = DatasetItem.objects.filter(dataset=dataset, split=split).order_by("label", "pk")
    return list(items.values_list("file", "label", "repeats"))
