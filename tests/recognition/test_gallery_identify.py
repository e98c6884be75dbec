"""Identification over the gallery: the right person first, top-k best first, strangers unknown,
merged and archived identities as a person would expect."""

import io

import numpy as np
import pytest
from PIL import Image

from identities.models import Face
from identities.services import identity_archive, identity_merge
from recognition.embedders.facenet import facenet_embedder
from recognition.gallery.cache import gallery_size
from recognition.gallery.search import gallery_identify
from recognition.gallery.sync import gallery_sync
from recognition.gallery.thresholds import gallery_threshold
from tests.factories import make_identity
from tests.recognition.gallery_faces import person_crops, stored_face

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_gallery():
    # Each test builds its own gallery; the process's copy of the last one must go.
    from recognition.gallery.cache import gallery_cache_clear

    gallery_cache_clear()


def probe(person: str, number: int) -> np.ndarray:
    """The embedding of one fixture photo's face, as the upload page would compute it."""
    crop = person_crops(person)[number]
    pixels = np.asarray(Image.open(io.BytesIO(crop.jpeg)).convert("RGB"))
    margin = 0.0 if crop.detector == "none" else None
    embedder = facenet_embedder()
    return embedder.embed_chips([embedder.crop_chip(pixels, crop.box[2:], margin)])


def enrol(name: str, person: str, numbers: list[int]):
    identity = make_identity(name)
    for number in numbers:
        stored_face(identity, person_crops(person)[number], Face.Status.APPROVED)
    return identity


@pytest.fixture
def gallery():
    """Four people: two CelebA people with two photos each (the third kept out as a probe),
    two ORL people with one each."""
    people = {
        "ada": enrol("Ada", "7221", [0, 1]),
        "bea": enrol("Bea", "7271", [0, 1]),
        "cy": enrol("Cy", "s1", [0]),
        "di": enrol("Di", "s2", [0]),
    }
    gallery_sync()
    return people


def test_top_k_is_best_first_and_names_the_person(gallery):
    (matches,) = gallery_identify(probe("7221", 2), k=3)

    assert len(matches) == 3
    assert (matches[0].identity_id, matches[0].name) == (gallery["ada"].pk, "Ada")
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True)
    assert matches[0].score >= gallery_threshold() > matches[1].score


def test_k_larger_than_the_gallery_lists_each_identity_once(gallery):
    first, second = gallery_identify(np.vstack([probe("7221", 2), probe("7271", 2)]), k=10)

    assert sorted(match.identity_id for match in first) == sorted(person.pk for person in gallery.values())
    assert second[0].identity_id == gallery["bea"].pk
    assert gallery_size() == 6


def test_a_stranger_scores_below_the_threshold():
    enrol("Ada", "7221", [0, 1, 2])
    enrol("Cy", "s1", [0])
    gallery_sync()

    (matches,) = gallery_identify(probe("7271", 0), k=5)

    assert matches, "the gallery is not empty"
    assert matches[0].score < gallery_threshold()


def test_after_a_merge_the_face_is_identified_as_the_target(gallery, admin):
    duplicate = enrol("Ada L.", "7221", [2])
    gallery_sync()
    assert gallery_identify(probe("7221", 2), k=1)[0][0].identity_id == duplicate.pk

    identity_merge(source=duplicate, target=gallery["ada"], actor=admin)

    (matches,) = gallery_identify(probe("7221", 2), k=5)
    assert matches[0].identity_id == gallery["ada"].pk
    assert duplicate.pk not in [match.identity_id for match in matches]


def test_archived_identities_are_not_named(gallery, admin):
    identity_archive(identity=gallery["ada"], actor=admin)

    (matches,) = gallery_identify(probe("7221", 2), k=5)

    assert gallery["ada"].pk not in [match.identity_id for match in matches]
    assert gallery_size() == 4


def test_an_empty_gallery_answers_no_matches():
    assert gallery_identify(probe("7221", 0), k=5) == [[]]
    assert gallery_size() == 0


def test_new_approved_faces_are_found_without_reloading_the_whole_gallery(gallery, monkeypatch):
    gallery_identify(probe("7221", 2), k=1)
    from recognition.gallery import cache as gallery_module

    def no_full_reload(signature):
        raise AssertionError("the whole gallery was reloaded")

    monkeypatch.setattr(gallery_module, "_matrix_load", no_full_reload)
    newcomer = enrol("Eve", "7221", [2])
    gallery_sync()

    (matches,) = gallery_identify(probe("7221", 2), k=2)
    assert [match.identity_id for match in matches] == [newcomer.pk, gallery["ada"].pk]
    assert matches[0].score == pytest.approx(1.0, abs=1e-3)
    assert gallery_size() == 7


def test_a_renamed_identity_is_named_by_its_new_name(gallery):
    gallery_identify(probe("7221", 2), k=1)
    gallery["ada"].name = "Ada Lovelace"
    gallery["ada"].save(update_fields=["name"])

    assert gallery_identify(probe("7221", 2), k=1)[0][0].name == "Ada Lovelace"
