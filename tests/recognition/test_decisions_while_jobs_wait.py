"""A decision made while the gallery and review assistance jobs already wait for their turn
queues nothing and asks Redis nothing; one made while a job runs still queues its follow-up."""

import pytest

from identities.models import Face
from identities.review_services import review_override
from pipeline.models import JobRun
from recognition.gallery import sync
from tests.factories import make_identities_with_faces

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_looks(monkeypatch) -> list[bool]:
    """Every answer queue_reachable gave (each one a Redis connection)."""
    answers: list[bool] = []
    reachable = sync.queue_reachable

    def counted() -> bool:
        answers.append(reachable())
        return answers[-1]

    monkeypatch.setattr(sync, "queue_reachable", counted)
    return answers


@pytest.fixture(autouse=True)
def assisted_identity(transactional_db, settings) -> None:
    """Review assistance on, and one identity with pending faces to decide."""
    settings.FACESITE_REVIEW_ASSIST = "suggest"
    make_identities_with_faces(1, faces_each=3)


def run(target_key: str, status: str) -> JobRun:
    kind = "gallery" if target_key.startswith("gallery") else "review_assist"
    return JobRun.objects.create(kind=kind, label=target_key, target_key=target_key, status=status)


def approve_a_face(admin) -> None:
    face = Face.objects.pending().first()
    review_override(actor=admin, face_id=face.pk, decision=Face.Status.APPROVED)


def test_a_decision_while_both_jobs_are_queued_adds_nothing(rq_queues, admin, redis_looks):
    waiting = [run("gallery", JobRun.Status.QUEUED), run("review_assist", JobRun.Status.QUEUED)]

    approve_a_face(admin)

    assert list(JobRun.objects.order_by("pk")) == waiting
    assert redis_looks == []


def test_a_decision_while_a_job_runs_queues_its_follow_up(rq_queues, admin, redis_looks):
    run("gallery", JobRun.Status.RUNNING)
    run("review_assist", JobRun.Status.QUEUED)

    approve_a_face(admin)

    follow_up = JobRun.objects.get(target_key="gallery:next")
    assert (follow_up.kind, follow_up.status) == ("gallery", JobRun.Status.QUEUED)
    assert JobRun.objects.filter(kind="review_assist").count() == 1
    assert redis_looks == [True]

    # The follow-up now waits too, so the next decision adds nothing.
    approve_a_face(admin)
    assert JobRun.objects.count() == 3
    assert redis_looks == [True]


def test_a_decision_after_the_jobs_finished_queues_both_again(rq_queues, admin, redis_looks):
    run("gallery", JobRun.Status.FINISHED)
    run("review_assist", JobRun.Status.FINISHED)

    approve_a_face(admin)

    queued = JobRun.objects.filter(status=JobRun.Status.QUEUED)
    assert sorted(queued.values_list("target_key", flat=True)) == ["gallery", "review_assist"]
    assert redis_looks == [True]
