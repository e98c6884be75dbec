import pytest

from identities.models import AuditEvent, Face, Identity, SourceImage
from pipeline.detection import HaarDetector


class Killed(Exception):
    """Stands for the process being killed in the middle of an import."""


def fail_on_call(monkeypatch, owner, attribute: str, failing_call: int) -> None:
    """Make owner.attribute raise Killed on its failing_call-th call."""
    original = getattr(owner, attribute)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == failing_call:
            raise Killed
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, attribute, failing)


def assert_no_half_imported_photos() -> None:
    for source in SourceImage.objects.all():
        assert source.faces.exists() == (source.status == SourceImage.Status.FACES)
    assert AuditEvent.objects.filter(action="face.approve").count() == Face.objects.count()


def test_an_import_killed_during_detection_completes_on_the_next_run(photo_folder, import_faces, monkeypatch):
    with monkeypatch.context() as patch:
        fail_on_call(patch, HaarDetector, "detect", failing_call=4)
        with pytest.raises(Killed):
            import_faces(photo_folder, "--approve")
    assert SourceImage.objects.count() == 3
    assert_no_half_imported_photos()

    output = import_faces(photo_folder, "--approve")

    assert "3 new images, 3 faces, 3 duplicates" in output
    assert SourceImage.objects.count() == 6
    assert Face.objects.count() == 6
    assert_no_half_imported_photos()
    assert sum(Identity.objects.values_list("approved_count", flat=True)) == 6


def test_a_photo_whose_rows_fail_halfway_leaves_no_rows(photo_folder, import_faces, monkeypatch):
    # The third audit event (after the identity's creation and the first photo's face)
    # approves the second photo's face, once its source image and face rows are written:
    # the whole photo must be rolled back.
    with monkeypatch.context() as patch:
        fail_on_call(patch, AuditEvent, "record", failing_call=3)
        with pytest.raises(Killed):
            import_faces(photo_folder, "--approve")
    assert SourceImage.objects.count() == 1
    assert Face.objects.count() == 1
    assert_no_half_imported_photos()

    output = import_faces(photo_folder, "--approve")

    assert "5 new images, 5 faces, 1 duplicates" in output
    assert Face.objects.count() == 6
    assert_no_half_imported_photos()
