"""A process searches its own copy of the gallery and asks the database whether it
changed at most once a second; its own changes show at once, and an identity deleted or
archived elsewhere is never named."""

import numpy as np
import pytest

from identities.models import Face, Identity
from identities.services import identity_merge
from recognition.gallery import cache as gallery
from recognition.gallery.cache import EMBEDDER, RECHECK_SECONDS, gallery_cache_clear
from recognition.gallery.search import gallery_identify
from recognition.models import FaceEmbedding
from tests.factories import make_face, make_identity

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    gallery_cache_clear()
    clock = Clock()
    monkeypatch.setattr(gallery.time, "monotonic", clock)
    return clock


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=512).astype(np.float32)
    return vector / np.linalg.norm(vector)


def enrolled(name: str, seed: int) -> Identity:
    """An identity with one approved face and its FaceNet row, written as another process
    (the gallery job in a worker) writes it: no signal reaches this process."""
    identity = make_identity(name)
    face = make_face(identity, status=Face.Status.APPROVED)
    FaceEmbedding.objects.create(face=face, embedder=EMBEDDER, vector=unit(seed).tobytes())
    return identity


def best(seed: int) -> str:
    (matches,) = gallery_identify(unit(seed), k=1)
    return matches[0].name if matches else ""


def test_rows_another_process_adds_are_searched_within_a_second(clock):
    enrolled("Ada", seed=1)
    assert best(seed=2) == "Ada"  # the copy is loaded; Ada is all there is
    enrolled("Bea", seed=2)

    clock.now += RECHECK_SECONDS / 2
    assert best(seed=2) == "Ada"

    clock.now += RECHECK_SECONDS
    assert best(seed=2) == "Bea"


def test_a_change_made_in_this_process_is_searched_at_once(clock, admin, django_capture_on_commit_callbacks):
    ada = enrolled("Ada", seed=1)
    bea = enrolled("Bea", seed=2)
    assert best(seed=2) == "Bea"

    with django_capture_on_commit_callbacks(execute=True):
        identity_merge(source=bea, target=ada, actor=admin)

    # Bea's face is now Ada's: scored against Ada's core of both faces, not her first alone.
    (matches,) = gallery_identify(unit(2), k=1)
    both = unit(1) + unit(2)
    assert matches[0].name == "Ada"
    assert matches[0].score == pytest.approx(float(both @ unit(2)) / np.linalg.norm(both), abs=1e-5)


def test_an_identity_archived_elsewhere_is_never_named(clock):
    enrolled("Ada", seed=1)
    bea = enrolled("Bea", seed=2)
    assert best(seed=2) == "Bea"

    Identity.objects.filter(pk=bea.pk).update(archived=True)  # by another process

    assert best(seed=2) == "Ada"


def test_an_identity_deleted_elsewhere_is_never_named(clock):
    enrolled("Ada", seed=1)
    bea = enrolled("Bea", seed=2)
    assert best(seed=2) == "Bea"

    Identity.objects.filter(pk=bea.pk).delete()  # by another process: no signal here

    assert best(seed=2) == "Ada"
