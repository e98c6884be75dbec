"""The gallery job keeps embeddings of approved faces: added on approval, removed on rejection,
gone with a deleted identity, and never recomputed."""

import io

import numpy as np
import pytest
from django.core.management import call_command

from identities.models import Face
from identities.review_services import review_override
from identities.services import identity_delete
from pipeline.models import JobRun
from recognition.gallery.cache import EMBEDDER, gallery_size
from recognition.gallery.sync import gallery_sync
from recognition.models import FaceEmbedding
from tests.factories import make_identity
from tests.recognition.gallery_faces import person_crops, stored_face, unreadable_face
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_gallery():
    # Each test builds its own gallery; the process's copy of the last one must go.
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


def embedded_face_ids() -> set[int]:
    return set(FaceEmbedding.objects.filter(embedder=EMBEDDER).values_list("face_id", flat=True))


def test_approving_faces_queues_one_job_that_embeds_them(rq_queues, admin):
    identity = make_identity("Ada")
    faces = [stored_face(identity, crop) for crop in person_crops("7221")[:2]]

    for face in faces:
        review_override(actor=admin, face_id=face.pk, decision=Face.Status.APPROVED)

    job_run = JobRun.objects.get(kind="gallery")
    burst_work("process")
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FINISHED
    assert job_run.summary["embedded"] == 2
    assert embedded_face_ids() == {face.pk for face in faces}
    vector = np.frombuffer(FaceEmbedding.objects.first().vector, dtype=np.float32)
    assert vector.shape == (512,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)


def test_rejecting_an_approved_face_removes_its_embedding(rq_queues, admin):
    identity = make_identity("Ada")
    kept, rejected = (stored_face(identity, crop, Face.Status.APPROVED) for crop in person_crops("7221")[:2])
    gallery_sync()

    review_override(actor=admin, face_id=rejected.pk, decision=Face.Status.REJECTED, reason="wrong_person")
    burst_work("process")

    assert embedded_face_ids() == {kept.pk}


def test_deleting_an_identity_takes_its_embeddings(admin):
    keep, remove = make_identity("Ada"), make_identity("Bea")
    stored_face(keep, person_crops("7221")[0], Face.Status.APPROVED)
    stored_face(remove, person_crops("7271")[0], Face.Status.APPROVED)
    gallery_sync()
    assert gallery_size() == 2

    identity_delete(identity=remove, actor=admin)

    assert gallery_size() == 1
    assert not FaceEmbedding.objects.filter(face__identity_id=remove.pk).exists()


def test_a_second_sync_embeds_nothing_again_and_pending_faces_stay_out():
    identity = make_identity("Ada")
    approved = stored_face(identity, person_crops("7221")[0], Face.Status.APPROVED)
    stored_face(identity, person_crops("7221")[1], Face.Status.PENDING)
    first = gallery_sync()
    row = FaceEmbedding.objects.get()

    second = gallery_sync()

    assert (first["embedded"], second["embedded"], second["removed"]) == (1, 0, 0)
    assert FaceEmbedding.objects.get().pk == row.pk
    assert row.face_id == approved.pk


def test_an_unreadable_crop_is_skipped_and_counted_without_stopping_the_rest():
    identity = make_identity("Ada")
    good = stored_face(identity, person_crops("7221")[0], Face.Status.APPROVED)
    unreadable_face(identity)

    summary = gallery_sync()

    assert summary == {"embedded": 1, "from_review": 0, "removed": 0, "unreadable": 1}
    assert embedded_face_ids() == {good.pk}


def test_the_command_reports_what_it_did():
    stored_face(make_identity("Ada"), person_crops("7221")[0], Face.Status.APPROVED)
    output = io.StringIO()

    call_command("gallery_sync", stdout=output)

    assert (
        "Embedded 1 faces, removed 0 embeddings, 0 crops unreadable; the gallery holds 1 faces."
        in output.getvalue()
    )


def test_a_change_while_a_run_works_queues_one_follow_up(rq_queues):
    running = JobRun.objects.create(
        kind="gallery",
        label="Gallery embeddings",
        target_key="gallery",
        status=JobRun.Status.RUNNING,
    )
    from recognition.gallery.sync import gallery_sync_start

    first, second = gallery_sync_start(), gallery_sync_start()

    assert first == second != running
    assert (first.status, first.target_key) == (JobRun.Status.QUEUED, "gallery:next")


def test_decisions_while_redis_is_down_pile_up_no_failed_gallery_jobs(settings, admin, tmp_path):
    # An import or review run while the site's Redis is down (a script against the database).
    dead = {"URL": f"unix://{tmp_path}/no-redis.sock", "DEFAULT_TIMEOUT": 60}
    settings.RQ_QUEUES = {name: dead for name in ("default", "process", "scrape", "train")}
    identity = make_identity("Ada")
    faces = [stored_face(identity, crop) for crop in person_crops("7221")[:2]]

    for face in faces:
        review_override(actor=admin, face_id=face.pk, decision=Face.Status.APPROVED)

    assert not JobRun.objects.filter(kind="gallery").exists()
    gallery_sync()
    assert embedded_face_ids() == {face.pk for face in faces}
