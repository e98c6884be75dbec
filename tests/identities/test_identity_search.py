"""The identity picker's search: names and aliases, any case, prefixes first, limited,
archived identities only when asked for."""

import pytest

from tests.factories import make_identity

pytestmark = pytest.mark.django_db


def search(web, **params):
    response = web.get("/identities/search/", params)
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def test_names_starting_with_the_text_come_before_names_containing_it(admin_web):
    for name in ("Mary Ann", "Ann Smith", "Joanna", "Annabel"):
        make_identity(name)

    assert search(admin_web, q="ann") == ["Ann Smith", "Annabel", "Joanna", "Mary Ann"]


def test_aliases_are_searched_and_the_matching_alias_is_said(admin_web):
    make_identity("Samuel Clemens", aliases="Mark Twain")
    make_identity("Marky Mark")

    response = admin_web.get("/identities/search/", {"q": "twain"})

    (row,) = response.json()["results"]
    assert (row["name"], row["alias"]) == ("Samuel Clemens", "Mark Twain")
    # A name prefix ranks above an alias prefix.
    assert search(admin_web, q="mark") == ["Marky Mark", "Samuel Clemens"]


def test_archived_identities_only_when_asked(admin_web):
    make_identity("Old Name", archived=True)

    assert search(admin_web, q="old") == []
    assert search(admin_web, q="old", archived="1") == ["Old Name"]


def test_answers_are_limited(admin_web):
    for number in range(30):
        make_identity(f"Person {number:02d}")

    assert len(search(admin_web, q="person")) == 10
    assert len(search(admin_web, q="person", limit="25")) == 25
    assert len(search(admin_web, q="person", limit="junk")) == 10


def test_empty_text_finds_nothing(admin_web):
    make_identity("Ada")

    assert search(admin_web, q="  ") == []


def test_only_admins_search(reviewer_web):
    assert reviewer_web.get("/identities/search/", {"q": "a"}).status_code == 403
