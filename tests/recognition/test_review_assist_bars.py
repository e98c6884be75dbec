"""The bands' bars come from FaceNet's impostor model: "likely this person" at the score a
stranger's photo reaches against one identity's core at most FACESITE_OPEN_SET_FAR of the
time, "looks like X" at the score a stranger's best match among the identities compared
reaches as rarely, "likely another person" under the 1:1 threshold; none below it."""

import numpy as np
import pytest

from identities.models import FaceAssessment
from identities.review_selectors import review_assist_attach
from recognition.gallery.assist import AssistBars, crops_assess
from recognition.gallery.cache import EMBEDDER
from recognition.gallery.thresholds import impostor_model
from recognition.services.review_assist import review_assist_bars
from tests.factories import make_face, make_identity
from tests.review.assessments import assess


def test_the_bars_are_the_impostor_models_for_one_identity_and_for_those_compared(settings):
    settings.FACESITE_OPEN_SET_FAR = 0.01
    model = impostor_model(EMBEDDER)
    bars = review_assist_bars(compared=80)
    assert bars.likely == pytest.approx(model.threshold([model.core_sizes[-1]], far=0.01))
    assert bars.lookalike == pytest.approx(model.threshold([model.core_sizes[-1]] * 80, far=0.01))
    assert bars.other == 0.35  # the 1:1 threshold
    assert bars.other < bars.likely < bars.lookalike
    assert review_assist_bars(compared=2000).lookalike > bars.lookalike


def test_no_bar_is_below_the_one_to_one_threshold(settings):
    settings.FACESITE_OPEN_SET_FAR = 0.5
    bars = review_assist_bars(compared=1)
    assert bars.likely == bars.lookalike == bars.other == 0.35


def crops_with_a_lookalike(own_score: float, lookalike_score: float) -> str:
    """The band of a crop of identity 0 scoring these against its own core and identity 1's."""
    own, other, rest = np.linalg.qr(np.random.default_rng(0).normal(size=(512, 3)))[0].T
    crop = own_score * own + lookalike_score * other + np.sqrt(1 - own_score**2 - lookalike_score**2) * rest
    assessment = crops_assess(
        vectors=crop[None],
        identity_ids=np.array([0]),
        photo_ids=np.array([1]),
        sizes=np.array([100]),
        confidences=np.array([0.99]),
        sharpness=np.array([100.0]),
        bars=AssistBars(likely=0.4, other=0.35, lookalike=0.6),
        approved_cores={0: own},
        other_cores={1: other},
    )
    return str(assessment.bands[0])


@pytest.mark.parametrize(
    ("own_score", "lookalike_score", "band"),
    [
        (0.70, 0.50, "likely"),  # a lookalike under its bar claims nothing
        (0.45, 0.55, "likely"),  # closer to the lookalike, which still claims nothing
        (0.70, 0.62, "look"),  # claimed, but its own core is closer
        (0.45, 0.65, "other"),  # claimed, and closer than its own core
        (0.38, 0.10, "look"),  # between the 1:1 threshold and the likely bar
        (0.30, 0.10, "other"),  # under the 1:1 threshold
    ],
)
def test_a_lookalike_claims_a_crop_only_at_its_bar(own_score, lookalike_score, band):
    assert crops_with_a_lookalike(own_score, lookalike_score) == band


@pytest.mark.django_db
def test_the_legend_says_where_each_bar_comes_from(settings):
    settings.FACESITE_OPEN_SET_FAR = 0.01
    face = make_face(make_identity("Ada"))
    row = assess(face, FaceAssessment.Band.LOOK)
    face.assessment = row
    legend = review_assist_attach([face], mode="suggest")
    assert legend["lookalike"] == row.lookalike_bar
    assert f"at least {row.likely_bar:.2f} to the identity's core" in legend["rule"]
    assert "at most 1% of the time" in legend["rule"]
    assert f"below {row.other_bar:.2f}, the 1:1 threshold" in legend["rule"]
    assert f"core scores at least {row.lookalike_bar:.2f}" in legend["rule"]
