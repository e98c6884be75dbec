"""Importing crops for review queues the review assistance job, which scores them in the
worker; with assistance off nothing is queued."""

import shutil
from pathlib import Path

import pytest

from identities.models import Face, FaceAssessment
from pipeline.importer import faces_import
from pipeline.models import JobRun
from tests.workers import burst_work

pytestmark = pytest.mark.django_db(transaction=True)
CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


def folder_of_people(tmp_path: Path) -> Path:
    shutil.copytree(CELEBA / "7221", tmp_path / "people" / "Ada Lovelace")
    return tmp_path / "people"


def test_an_import_for_review_queues_one_job_that_scores_the_crops(rq_queues, settings, tmp_path):
    settings.FACESITE_REVIEW_ASSIST = "suggest"
    faces_import(path=folder_of_people(tmp_path), detector_name="mtcnn", approve=False)
    job_run = JobRun.objects.get(kind="review_assist")
    burst_work("process")
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FINISHED
    pending = Face.objects.pending()
    assert job_run.summary["embedded"] == job_run.summary["scored"] == pending.count() > 0
    assert FaceAssessment.objects.filter(face__in=pending).exclude(core_source="").count() == pending.count()


def test_with_assistance_off_an_import_queues_nothing(rq_queues, settings, tmp_path):
    settings.FACESITE_REVIEW_ASSIST = "off"
    faces_import(path=folder_of_people(tmp_path), detector_name="mtcnn", approve=False)
    assert Face.objects.pending().exists()
    assert not JobRun.objects.filter(kind="review_assist").exists()
