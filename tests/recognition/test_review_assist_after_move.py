"""Moving approved faces between identities, or merging identities, queues the review
assistance job, which scores the pending crops of the identities concerned again."""

import pytest

from identities.models import Face, FaceAssessment
from identities.services import faces_move, identity_merge
from pipeline.models import JobRun
from recognition.gallery.sync import gallery_sync
from recognition.services.review_assist import review_assist_run
from tests.factories import make_identity
from tests.recognition.gallery_faces import person_crops, stored_face
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_gallery():
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


def assessment(face: Face) -> FaceAssessment:
    return FaceAssessment.objects.get(face=face)


def test_moving_a_misfiled_face_to_its_person_clears_the_lookalike_it_made(rq_queues, admin):
    ada, bea = make_identity("Ada"), make_identity("Bea")
    ada_crops = [stored_face(ada, crop) for crop in person_crops("7221")[:2]]
    # One of Ada's photos, approved under Bea by mistake: Ada's crops look like Bea.
    misfiled = stored_face(bea, person_crops("7221")[2], Face.Status.APPROVED)
    gallery_sync()
    review_assist_run()
    assert [assessment(face).lookalike for face in ada_crops] == [bea, bea]

    faces_move(face_ids=[misfiled.pk], source=bea, target=ada, actor=admin)
    job_run = JobRun.objects.get(kind="review_assist")
    burst_work("process")

    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FINISHED
    assert [assessment(face).lookalike for face in ada_crops] == [None, None]


def test_a_move_scores_the_crops_of_both_identities_again(rq_queues, admin):
    ada, bea, cy = make_identity("Ada"), make_identity("Bea"), make_identity("Cy")
    crops = [stored_face(ada, person_crops("7221")[0]), stored_face(bea, person_crops("7271")[0])]
    bystander = stored_face(cy, person_crops("7271")[1])
    moved = stored_face(bea, person_crops("7221")[2], Face.Status.APPROVED)
    gallery_sync()
    review_assist_run()
    scored_at = {face.pk: assessment(face).computed_at for face in [*crops, bystander]}

    faces_move(face_ids=[moved.pk], source=bea, target=ada, actor=admin)
    burst_work("process")

    assert JobRun.objects.get(kind="review_assist").summary["scored"] == 2
    assert all(assessment(face).computed_at > scored_at[face.pk] for face in crops)
    assert assessment(bystander).computed_at == scored_at[bystander.pk]


def test_merging_identities_rescores_the_merged_crops_under_the_target(rq_queues, admin):
    ada, bea = make_identity("Ada"), make_identity("Bea")
    for crop in person_crops("7221"):
        stored_face(ada, crop)
    bea_crop = stored_face(bea, person_crops("7271")[0])
    review_assist_run()
    assert assessment(bea_crop).core_score == pytest.approx(1.0)

    identity_merge(source=bea, target=ada, actor=admin)
    burst_work("process")

    # Bea's photo is now one of Ada's crops, far from her dominant cluster.
    moved = assessment(bea_crop)
    assert moved.core_score < moved.other_bar
    assert moved.band == FaceAssessment.Band.OTHER


def test_with_assistance_off_a_move_queues_nothing(rq_queues, admin, settings):
    settings.FACESITE_REVIEW_ASSIST = "off"
    ada, bea = make_identity("Ada"), make_identity("Bea")
    face = stored_face(bea, person_crops("7221")[0], Face.Status.APPROVED)
    faces_move(face_ids=[face.pk], source=bea, target=ada, actor=admin)
    assert not JobRun.objects.filter(kind="review_assist").exists()
