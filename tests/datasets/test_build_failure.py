import pytest

from pipeline.models import DatasetItem, DatasetVersion
from tests.datasets.builders import build, make_approved


def test_a_build_that_fails_while_writing_leaves_a_failed_version_with_no_items(db, monkeypatch):
    make_approved("Ann", 30)
    make_approved("Bob", 30)
    monkeypatch.setattr("pipeline.datasets.ITEM_WRITE_BATCH", 10)
    real_bulk_create = DatasetItem.objects.bulk_create
    calls = []

    def bulk_create_then_fail(items, **kwargs):
        calls.append(len(items))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_bulk_create(items, **kwargs)

    monkeypatch.setattr(DatasetItem.objects, "bulk_create", bulk_create_then_fail)
    with pytest.raises(RuntimeError):
        build(min_faces=30)
    dataset = DatasetVersion.objects.get()
    assert calls == [10, 10, 10]
    assert dataset.status == DatasetVersion.Status.FAILED
    assert dataset.summary == {"error": "disk full"}
    assert not DatasetItem.objects.exists()
