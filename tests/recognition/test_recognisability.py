"""How recognisable an identity is: each approved face left out in turn and identified
against the rest of the gallery, with warnings (the gallery is rows only, chosen unit
vectors: tests/recognition/gallery_rows.py; real photos in test_recognisability_photos.py)."""

import numpy as np
import pytest
from django.urls import reverse

from identities.models import Face
from identities.services import identity_archive
from recognition.gallery import recognisability
from recognition.gallery.index import GalleryMatrix
from recognition.gallery.recognisability import (
    NEAR_DUPLICATE_SIMILARITY,
    RECOMMENDED_FACES,
    identity_recognisability,
    leave_one_out,
    own_columns,
)
from tests.factories import make_face, make_identity
from tests.recognition.gallery_rows import approved, direction, near

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_gallery_clock")]


def matrix_of(vectors: list[np.ndarray], identity_ids: list[int]) -> GalleryMatrix:
    """Rows for faces 100, 101, ... in order."""
    face_ids = np.arange(100, 100 + len(vectors))
    return GalleryMatrix((), np.array(vectors, dtype=np.float32), np.array(identity_ids), face_ids)


def test_each_face_is_left_out_so_a_lone_face_is_unknown():
    face = direction(1)
    matrix = matrix_of([face, direction(2)], [1, 2])

    outcome = leave_one_out(matrix, face[None], own_columns(matrix, [100]), threshold=0.35)

    assert outcome.named_identity_ids.tolist() == [-1]  # with itself in, it would score 1.0


def test_identical_faces_each_leave_out_their_own_row_and_name_each_other():
    face = direction(1)
    matrix = matrix_of([face, face, direction(2)], [1, 1, 2])
    vectors = np.array([face, face])

    columns = own_columns(matrix, [100, 101])
    outcome = leave_one_out(matrix, vectors, columns, threshold=0.35)

    assert columns.tolist() == [0, 1]
    assert outcome.named_identity_ids.tolist() == [1, 1]
    assert outcome.scores == pytest.approx([1.0, 1.0])


def test_the_figure_counts_faces_named_rightly_wrongly_and_unknown(people):
    stranger_like = approved(people["ada"], direction(7))  # like nobody: unknown

    figure = identity_recognisability(people["ada"])

    assert (figure.faces, figure.correct, figure.unknown) == (5, 3, 1)
    (misnamed,) = figure.misnamed
    assert (misnamed.face_id, misnamed.identity_id, misnamed.name) == (
        people["bystander"].pk,
        people["bea"].pk,
        "Bea",
    )
    assert misnamed.score >= figure.threshold
    assert stranger_like.pk not in {face.face_id for face in figure.misnamed}
    assert any("1 of its photos is named as someone else" in warning for warning in figure.warnings)


def test_it_is_measured_at_the_gallery_threshold(people, monkeypatch):
    monkeypatch.setattr(recognisability, "gallery_threshold", lambda embedder: 0.95)

    figure = identity_recognisability(people["ada"])

    # Ada's own faces are about 0.9 alike; the bystander is 0.99 like one of Bea's.
    assert (figure.threshold, figure.correct, figure.unknown) == (0.95, 0, 3)
    assert [face.face_id for face in figure.misnamed] == [people["bystander"].pk]


def test_one_face_cannot_be_measured_and_says_so(people):
    dora = make_identity("Dora")
    approved(dora, direction(4))

    figure = identity_recognisability(dora)

    assert not figure.measured
    assert figure.warnings == [
        "It cannot be measured with 1 approved face: a photo is tested against the person's other "
        f"photos. Approve at least {RECOMMENDED_FACES} faces of different photos."
    ]


def test_no_approved_faces_cannot_be_measured(people):
    figure = identity_recognisability(make_identity("Gus"))

    assert (figure.faces, figure.measured) == (0, False)
    assert figure.warnings[0].startswith("It cannot be measured with 0 approved faces")


def test_fewer_than_recommended_faces_are_warned_of(people):
    warning = identity_recognisability(people["bea"]).warnings[0]

    assert warning.startswith(f"Only 3 approved faces: approve at least {RECOMMENDED_FACES} ")


def test_near_duplicate_faces_are_too_alike(people):
    eve = make_identity("Eve")
    for seed in range(60, 60 + RECOMMENDED_FACES):
        approved(eve, near(direction(6), seed, noise=0.05))

    figure = identity_recognisability(eve)

    assert figure.median_similarity >= NEAR_DUPLICATE_SIMILARITY
    assert figure.correct == RECOMMENDED_FACES
    (warning,) = figure.warnings
    assert warning.startswith("Its photos are too alike")


def test_enough_different_faces_named_rightly_bring_no_warning(people):
    fay = make_identity("Fay")
    for seed in range(70, 70 + RECOMMENDED_FACES):
        approved(fay, near(direction(8), seed, noise=0.8))  # about 0.6 alike, as real photos

    figure = identity_recognisability(fay)

    assert figure.median_similarity < NEAR_DUPLICATE_SIMILARITY
    assert (figure.correct, figure.faces, figure.warnings) == (RECOMMENDED_FACES, RECOMMENDED_FACES, [])


def test_faces_not_embedded_yet_are_not_tested_and_said_to_be(people):
    make_face(people["bea"], status=Face.Status.APPROVED)  # its gallery job is queued

    figure = identity_recognisability(people["bea"])

    assert (figure.faces, figure.unembedded) == (3, 1)


def test_an_identity_with_many_faces_is_tested_on_an_even_sample(people, monkeypatch, admin_web):
    monkeypatch.setattr(recognisability, "MAX_TESTED_FACES", 3)

    figure = identity_recognisability(people["ada"])

    assert (figure.faces, figure.embedded, figure.sampled) == (3, 4, True)
    page = admin_web.get(reverse("identity_detail", args=[people["ada"].pk])).content.decode()
    assert "Each approved photo of an even sample of 3 of its 4 taken out in turn" in page


def test_the_identity_page_shows_the_figure_and_links_the_misnamed_face(people, admin_web, monkeypatch):
    # The synthetic rows are laid out around the 1:1 threshold.
    monkeypatch.setattr(recognisability, "gallery_threshold", lambda embedder: 0.35)
    page = admin_web.get(reverse("identity_detail", args=[people["ada"].pk])).content.decode()

    assert "<strong>3 of 4</strong> own photos named correctly at the current threshold 0.35" in page
    assert f'href="{reverse("face_history", args=[people["bystander"].pk])}"' in page
    assert f'href="{reverse("identity_detail", args=[people["bea"].pk])}">Bea</a>' in page
    assert "1 of its photos is named as someone else" in page


def test_an_archived_identity_has_no_figure(people, admin, admin_web):
    identity_archive(identity=people["ada"], actor=admin)

    page = admin_web.get(reverse("identity_detail", args=[people["ada"].pk])).content.decode()

    assert "Recognisable" not in page
