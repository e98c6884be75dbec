from datetime import timedelta

import pytest
from django.utils import timezone

from facesite import roles
from tests.conftest import make_user
from tests.factories import make_identity, make_pending_faces


@pytest.fixture
def grace(db):
    return make_identity("Grace Hopper")


@pytest.fixture
def pending_faces(grace):
    return make_pending_faces(grace, 6)


@pytest.fixture
def rob(db):
    return make_user("rob", roles.REVIEWER)


@pytest.fixture
def sam(db):
    return make_user("sam", roles.REVIEWER)


class Clock:
    """A fixed moment to pass as `now`, and later ones from after(seconds)."""

    def __init__(self):
        self.now = timezone.now()

    def after(self, seconds: float):
        return self.now + timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()
