"""Approved faces in bulk for dataset tests: rows sharing one real photo file per identity."""

from django.core.management import call_command

from identities.models import Face, Identity
from pipeline.models import DatasetVersion
from tests.factories import make_identity, make_pending_faces


def make_approved(name: str, count: int, **identity_fields) -> Identity:
    identity = make_identity(name, **identity_fields)
    faces_approve(identity, count)
    return identity


def faces_approve(identity: Identity, count: int) -> list[Face]:
    faces = make_pending_faces(identity, count)
    Face.objects.filter(pk__in=[face.pk for face in faces]).update(status=Face.Status.APPROVED)
    identity.update_face_counts()
    return faces


def build(**options) -> DatasetVersion:
    """Run build_dataset with these options and return the version it made."""
    arguments = [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
    call_command("build_dataset", *arguments)
    return DatasetVersion.objects.order_by("-pk").first()


def manifest(dataset: DatasetVersion) -> list[tuple]:
    return list(
        dataset.items.order_by("face_id").values_list("face_id", "identity_name", "label", "split", "repeats")
    )
