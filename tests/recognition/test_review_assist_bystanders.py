"""One photo, one person: of an identity's crops from one source photo, only the one closest
to the identity's core can be that person; the others are bystanders, likely another person."""

import numpy as np

from recognition.gallery.assist import AssistBars, crops_assess
from recognition.ml.scores import l2_normalise

BARS = AssistBars(likely=0.45, other=0.35, lookalike=0.6)


def test_only_the_best_crop_of_a_photo_is_the_person():
    generator = np.random.default_rng(0)
    person = l2_normalise(generator.normal(size=64))
    # Five photos of the person (slightly varied), the last one also showing a second
    # face close enough to pass the bars on its own.
    vectors = l2_normalise(person + 0.05 * generator.normal(size=(6, 64)))
    vectors[5] = l2_normalise(person + 0.15 * generator.normal(size=64))
    assessment = crops_assess(
        vectors=vectors,
        identity_ids=np.zeros(6, int),
        photo_ids=np.array([1, 2, 3, 4, 5, 5]),
        sizes=np.full(6, 100),
        confidences=np.full(6, 0.99),
        sharpness=np.full(6, 100.0),
        bars=BARS,
    )
    assert assessment.core_scores[5] >= 0.45  # it would be likely the person on its score alone
    assert assessment.bystanders.tolist() == [False] * 5 + [True]
    assert assessment.bands[5] == "other"
    assert set(assessment.bands[:5]) == {"likely"}


def test_the_same_photo_under_two_identities_is_one_person_each():
    generator = np.random.default_rng(1)
    people = l2_normalise(generator.normal(size=(2, 64)))
    vectors = l2_normalise(np.repeat(people, 4, axis=0) + 0.05 * generator.normal(size=(8, 64)))
    # The group photo (photo 9) holds both people and was gathered for each of them.
    vectors = np.vstack([vectors, people[0], people[1]])
    assessment = crops_assess(
        vectors=vectors,
        identity_ids=np.array([0] * 4 + [1] * 4 + [0, 1]),
        photo_ids=np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 9]),
        sizes=np.full(10, 100),
        confidences=np.full(10, 0.99),
        sharpness=np.full(10, 100.0),
        bars=BARS,
    )
    assert not assessment.bystanders.any()
    assert assessment.lookalike_ids[8] == 1 and assessment.lookalike_ids[9] == 0
