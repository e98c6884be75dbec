from django.core.files.storage import default_storage

from identities.models import Face
from identities.services import identity_delete
from pipeline.datasets import dataset_delete
from tests.datasets.builders import build, make_approved


def test_crops_a_dataset_names_survive_deleting_their_identity_until_the_dataset_goes(
    db, admin, django_capture_on_commit_callbacks
):
    ann = make_approved("Ann", 5)
    make_approved("Bob", 5)
    dataset = build(min_faces=5, per_identity=5)
    ann_files = set(dataset.items.filter(identity_name="Ann").values_list("file", flat=True))
    assert ann_files and all(default_storage.exists(name) for name in ann_files)

    with django_capture_on_commit_callbacks(execute=True):
        identity_delete(identity=ann, actor=admin)
    assert all(default_storage.exists(name) for name in ann_files)
    assert dataset.items.filter(identity_name="Ann", face=None).count() == 5

    with django_capture_on_commit_callbacks(execute=True):
        dataset_delete(dataset=dataset, actor=admin)
    assert not any(default_storage.exists(name) for name in ann_files)
    # Bob still has his faces, so his crops stay.
    assert all(default_storage.exists(name) for name in _files_of("Bob"))


def _files_of(name: str) -> set[str]:
    return set(Face.objects.filter(identity__name=name).values_list("file", flat=True))
