"""Review assistance's job on real crops: an identity's own crops score high against the
dominant cluster, a wrong person's crop lands in "likely another person" with who it looks
like, a tiny crop in "likely not a face", and trust mode rejects that one, audited and
reversible."""

import pytest

from identities.models import AuditEvent, Face, FaceAssessment
from identities.review_services import review_override
from recognition.gallery.sync import gallery_sync
from recognition.services.review_assist import review_assist_run
from tests.factories import make_identity
from tests.recognition.gallery_faces import person_crops, stored_face

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_gallery():
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


@pytest.fixture
def scraped():
    """Ada's scraped crops: her three photos and one of Bea's; Bea's other two photos are approved."""
    ada, bea = make_identity("Ada"), make_identity("Bea")
    own = [stored_face(ada, crop) for crop in person_crops("7221")]
    intruder = stored_face(ada, person_crops("7271")[0])
    for number in [1, 2]:
        stored_face(bea, person_crops("7271")[number], Face.Status.APPROVED)
    gallery_sync()
    return ada, bea, own, intruder


def test_a_wrong_person_crop_is_likely_another_person_and_looks_like_them(scraped):
    ada, bea, own, intruder = scraped
    summary = review_assist_run()
    assert summary["embedded"] == 4 and summary["scored"] == 4
    wrong = FaceAssessment.objects.get(face=intruder)
    assert wrong.band == FaceAssessment.Band.OTHER
    assert wrong.lookalike == bea and wrong.lookalike_margin < 0
    for face in own:
        right = FaceAssessment.objects.get(face=face)
        assert right.core_source == "cluster"
        assert right.core_score > wrong.core_score + 0.2
        assert right.band in (FaceAssessment.Band.LIKELY, FaceAssessment.Band.LOOK)
    # The bar a stranger's photo reaches against one person's core (of many faces) at most 1% of the time.
    assert FaceAssessment.objects.get(face=own[0]).likely_bar == pytest.approx(0.4265, abs=0.001)


def test_a_second_run_embeds_nothing_again(scraped):
    review_assist_run()
    assert review_assist_run()["embedded"] == 0


def test_trust_rejects_a_crop_likely_not_a_face_as_the_system_and_an_override_reverses_it(
    scraped, settings, admin
):
    settings.FACESITE_REVIEW_ASSIST = "trust"
    tiny = scraped[2][0]
    tiny.box_width = tiny.box_height = 12
    tiny.save(update_fields=["box_width", "box_height"])
    summary = review_assist_run()
    tiny.refresh_from_db()
    assert summary["rejected"] == 1
    assert (tiny.status, tiny.reason) == (Face.Status.REJECTED, Face.Reason.NOT_A_FACE)
    event = AuditEvent.objects.for_target(tiny).get(action="face.reject")
    assert event.actor is None and event.after["via"] == "assist"
    review_override(actor=admin, face_id=tiny.pk, decision=Face.Status.APPROVED)
    tiny.refresh_from_db()
    assert tiny.status == Face.Status.APPROVED


def test_suggest_rejects_nothing(scraped):
    tiny = scraped[2][0]
    tiny.box_width = tiny.box_height = 12
    tiny.save(update_fields=["box_width", "box_height"])
    review_assist_run()
    tiny.refresh_from_db()
    assert tiny.status == Face.Status.PENDING
    assert tiny.assessment.band == FaceAssessment.Band.NOT_FACE
