"""Admins scan the whole gallery for faces that look more like another identity than
like their own, as a job, and see the identities with the most of them first.

The gallery is rows only (tests/recognition/gallery_rows.py): Ada holds one of Bea's
faces and one half like Bea, Dora's and Gus's lone faces look like Eve and Bea."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from identities.models import Face, Identity
from pipeline.models import JobRun
from recognition.gallery import lookalikes
from recognition.gallery.cache import gallery_matrix
from recognition.gallery.lookalikes import (
    gallery_flagged_rows,
    gallery_lookalikes_scan,
    identity_lookalikes,
    lookalike_threshold,
)
from recognition.models import FaceEmbedding
from tests.conftest import make_user
from tests.factories import make_identity
from tests.recognition.gallery_rows import approved, direction, near, people_make
from tests.workers import burst_work

pytestmark = pytest.mark.usefixtures("frozen_gallery_clock")

SCAN_URL = reverse("gallery_lookalikes")


@pytest.fixture
def people(db):
    """people_make's, with more of each kind: a second, weaker lookalike under Ada, a lone
    face like someone (Dora like Eve, Gus like Bea), one like nobody (Hal)."""
    people = people_make()
    people["farther"] = approved(people["ada"], near(people["bea_vectors"][0], 98, noise=0.6))
    eve, dora, gus, hal = (make_identity(name) for name in ("Eve", "Dora", "Gus", "Hal"))
    for seed in (51, 52):
        approved(eve, near(direction(5), seed))
    approved(dora, near(direction(5), 53, noise=0.8))
    approved(gus, near(people["bea_vectors"][2], 54, noise=0.3))
    approved(hal, direction(6))
    return people


def lookalikes_by_face() -> dict[int, lookalikes.Lookalike]:
    """What each identity's lookalikes page flags, by face."""
    return {
        lookalike.face_id: lookalike
        for identity_id in Identity.objects.values_list("pk", flat=True)
        for lookalike in identity_lookalikes(identity_id)
    }


@pytest.mark.parametrize("block", [3, lookalikes.SCAN_BLOCK])
def test_the_scan_flags_the_faces_each_identitys_page_flags(people, block, monkeypatch):
    monkeypatch.setattr(lookalikes, "SCAN_BLOCK", block)
    expected = lookalikes_by_face()
    assert {people["bystander"].pk, people["farther"].pk} < set(expected)  # the gallery has each kind

    matrix = gallery_matrix()
    flagged = gallery_flagged_rows(matrix, lookalike_threshold())

    face_of_row = {
        bytes(vector): face_id for face_id, vector in FaceEmbedding.objects.values_list("face_id", "vector")
    }
    faces = [face_of_row[matrix.vectors[row].tobytes()] for row in flagged.rows]
    assert sorted(faces) == sorted(expected)
    for face_id, other_identity_id, margin in zip(
        faces, flagged.other_identity_ids, flagged.margins, strict=True
    ):
        assert other_identity_id == expected[face_id].other_identity_id
        assert margin == pytest.approx(expected[face_id].margin, abs=1e-5)


def test_the_summary_counts_each_identitys_faces_and_its_worst_margin(people):
    expected = lookalikes_by_face()

    summary = gallery_lookalikes_scan()

    identity_of = dict(Face.objects.filter(pk__in=expected).values_list("pk", "identity_id"))
    by_identity: dict[int, list[float]] = {}
    for face_id, lookalike in expected.items():
        by_identity.setdefault(identity_of[face_id], []).append(lookalike.margin)
    assert summary["faces_scanned"] == FaceEmbedding.objects.count()
    assert summary["faces_flagged"] == len(expected)
    assert summary["identities_flagged"] == len(by_identity)
    assert summary["threshold"] == round(lookalike_threshold(), 3)
    rows = summary["identities"]
    assert rows[0] == {
        "identity_id": people["ada"].pk,
        "name": "Ada",
        "faces": 2,
        "worst": round(max(by_identity[people["ada"].pk]), 3),
    }
    assert {row["identity_id"]: (row["faces"], row["worst"]) for row in rows} == {
        identity_id: (len(margins), round(max(margins), 3)) for identity_id, margins in by_identity.items()
    }


def test_an_identity_archived_while_the_scan_runs_is_left_out_of_the_summary(people):
    gallery_matrix()  # the scan's copy, made before Ada is archived
    Identity.objects.filter(pk=people["ada"].pk).update(archived=True)

    summary = gallery_lookalikes_scan()

    assert people["ada"].pk not in {row["identity_id"] for row in summary["identities"]}


def test_the_summary_keeps_the_most_flagged_identities(people, monkeypatch):
    monkeypatch.setattr(lookalikes, "SCAN_TOP_IDENTITIES", 1)

    summary = gallery_lookalikes_scan()

    assert [row["name"] for row in summary["identities"]] == ["Ada"]
    assert summary["identities_flagged"] > 1


@pytest.mark.django_db(transaction=True)
def test_a_scan_runs_as_a_job_and_the_page_lists_what_it_flagged(people, admin_web, rq_queues):
    response = admin_web.post(SCAN_URL)
    job_run = JobRun.objects.get(kind="lookalikes")
    assert response.url == job_run.get_absolute_url()
    page = admin_web.get(SCAN_URL).content.decode()
    assert "A scan is queued" in page and job_run.get_absolute_url() in page

    burst_work("process")

    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FINISHED
    assert (job_run.progress_done, job_run.progress_total) == (FaceEmbedding.objects.count(),) * 2
    page = admin_web.get(SCAN_URL).content.decode()
    ada_link = f'<a href="{reverse("identity_lookalikes", args=[people["ada"].pk])}">Ada</a>'
    assert ada_link in page
    assert '<td class="num">2</td>' in page.split(ada_link)[1].split("</tr>")[0]
    assert "A scan is queued" not in page
    # The job's own page gives the counts and leads to the results, not a raw list.
    job_page = admin_web.get(job_run.get_absolute_url()).content.decode()
    assert f'<dd><a href="{SCAN_URL}">' in job_page
    assert "Faces flagged" in job_page and "identity_id" not in job_page


def test_a_second_scan_is_not_started_while_one_is_queued(people, admin_web):
    first = admin_web.post(SCAN_URL)
    second = admin_web.post(SCAN_URL, follow=True)

    assert JobRun.objects.filter(kind="lookalikes").count() == 1
    assert second.redirect_chain[0][0] == first.url
    assert "A scan is already queued" in second.content.decode()


def test_the_page_says_when_the_gallery_was_never_scanned(admin_web):
    assert "has not been scanned yet" in admin_web.get(SCAN_URL).content.decode()


def test_the_page_says_when_a_scan_flagged_nothing(admin_web, db):
    cleo = make_identity("Cleo")
    for seed in (31, 32):
        approved(cleo, near(direction(3), seed))
    JobRun.objects.create(
        kind="lookalikes",
        label="scan",
        status=JobRun.Status.FINISHED,
        summary=gallery_lookalikes_scan(),
    )

    page = admin_web.get(SCAN_URL).content.decode()

    assert "2 faces scanned, 0 flagged" in page
    assert "Nothing suspicious" in page


@pytest.mark.parametrize("web", ["reviewer_web", "uploader_web", "outsider_web"])
def test_only_admins_see_or_start_a_scan(web, request, db):
    client = request.getfixturevalue(web)

    assert client.get(SCAN_URL).status_code == 403
    assert client.post(SCAN_URL).status_code == 403
    assert not JobRun.objects.exists()


def test_the_identity_list_links_to_it_for_admins_only(admin_web, client, db):
    manager = make_user("manny")
    manager.user_permissions.add(Permission.objects.get(codename="manage_identities"))
    link = f'href="{SCAN_URL}"'

    assert link in admin_web.get(reverse("identity_list")).content.decode()
    client.force_login(manager)
    page = client.get(reverse("identity_list"))
    assert page.status_code == 200 and link not in page.content.decode()


def test_an_identitys_lookalikes_page_links_to_it(people, admin_web):
    page = admin_web.get(reverse("identity_lookalikes", args=[people["ada"].pk])).content.decode()

    assert f'href="{SCAN_URL}"' in page and "Scan the whole gallery" in page
