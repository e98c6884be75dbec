"""Fixtures of the tests whose gallery is rows only (tests/recognition/gallery_rows.py).
A module that reads the gallery asks for the frozen clock with
pytest.mark.usefixtures("frozen_gallery_clock")."""

import pytest

from tests.recognition.gallery_rows import gallery_clock_freeze, people_make


@pytest.fixture
def frozen_gallery_clock(monkeypatch) -> None:
    """The gallery copy is read again only after a change made in the test."""
    gallery_clock_freeze(monkeypatch)


@pytest.fixture
def people(frozen_gallery_clock) -> dict:
    """Ada (three faces and one of Bea's filed under her), Bea (three), Cleo (two)."""
    return people_make()
