"""The review page's identity filter is the search-as-you-type picker: its search is open to
reviewers but tells them only ids, names and pending counts of active identities with crops
to review; without JavaScript a typed name filters, and the choice shows after a reload."""

import html

import pytest

from facesite import roles
from tests.conftest import make_user
from tests.factories import make_identity, make_pending_faces

pytestmark = pytest.mark.django_db
SEARCH = "/review/identities/"


def with_pending(name: str, count: int = 1, **fields):
    identity = make_identity(name, **fields)
    make_pending_faces(identity, count)
    return identity


def test_reviewers_get_ids_names_and_pending_counts_only(reviewer_web):
    grace = with_pending("Grace Hopper", 3, aliases="Amazing Grace", notes="Met at the conference")

    response = reviewer_web.get(SEARCH, {"q": "grace"})

    assert response.status_code == 200
    assert response.json() == {"results": [{"id": grace.pk, "name": "Grace Hopper", "pending_faces": 3}]}


def test_only_active_identities_with_crops_to_review_are_offered(reviewer_web):
    with_pending("Anna Archived", archived=True)
    make_identity("Anna Done")
    with_pending("Joanna")
    with_pending("Annabel")

    names = [row["name"] for row in reviewer_web.get(SEARCH, {"q": "ann"}).json()["results"]]

    # Names starting with the text come first.
    assert names == ["Annabel", "Joanna"]


def test_aliases_are_not_searched_for_reviewers(reviewer_web):
    with_pending("Samuel Clemens", aliases="Mark Twain")

    assert reviewer_web.get(SEARCH, {"q": "twain"}).json() == {"results": []}


def test_answers_are_limited_and_empty_text_finds_nothing(reviewer_web):
    for number in range(12):
        with_pending(f"Person {number:02d}")

    assert len(reviewer_web.get(SEARCH, {"q": "person"}).json()["results"]) == 10
    assert reviewer_web.get(SEARCH, {"q": "  "}).json() == {"results": []}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(SEARCH, {"q": "a"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("web", ["admin_web", "uploader_web", "outsider_web"])
def test_accounts_that_cannot_review_are_refused(request, web):
    with_pending("Grace Hopper")
    client = request.getfixturevalue(web)

    response = client.get(SEARCH, {"q": "grace"})

    assert response.status_code == 403 and "Grace" not in response.content.decode()


def test_the_page_offers_the_picker_and_no_list_of_identities(reviewer_web):
    with_pending("Grace Hopper")

    page = reviewer_web.get("/review/").content.decode()

    assert 'name="identity_name"' in page and f'data-identity-picker-url="{SEARCH}"' in page
    assert '<select name="identity"' not in page and "Grace Hopper" not in page
    # Reviewers get the picker script, but not the admins' search.
    assert "identity_picker.js" in page and "data-search-url" not in page


def test_a_typed_name_filters_and_shows_after_a_reload(reviewer_web):
    ada = with_pending("Ada Lovelace")
    with_pending("Grace Hopper")

    page = reviewer_web.get("/review/", {"identity_name": " ada lovelace ", "origin": "", "detector": ""})
    page = page.content.decode()

    assert 'value="Ada Lovelace"' in page
    # The page's batch requests carry the identity by id.
    assert f'data-filters="identity={ada.pk}"' in page


def test_a_link_by_id_shows_the_name(reviewer_web):
    grace = with_pending("Grace Hopper")

    page = reviewer_web.get("/review/", {"identity": grace.pk}).content.decode()

    assert 'value="Grace Hopper"' in page and f'data-filters="identity={grace.pk}"' in page


def test_an_unknown_name_is_said_and_filters_nothing(reviewer_web):
    with_pending("Grace Hopper")

    page = reviewer_web.get("/review/", {"identity_name": "Gra<ce"}).content.decode()

    assert 'value="Gra&lt;ce"' in page
    assert html.escape("No active identity is named “Gra<ce”.", quote=False) in page
    assert 'data-filters=""' in page


def test_a_reviewer_who_is_also_an_admin_gets_both_searches(client):
    client.force_login(make_user("both", roles.ADMIN, roles.REVIEWER))

    page = client.get("/review/").content.decode()

    assert page.count("identity_picker.js") == 1 and 'data-search-url="/identities/search/"' in page
    assert f'data-identity-picker-url="{SEARCH}"' in page
