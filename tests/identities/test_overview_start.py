"""A fresh overview says where each role starts; an account without a role is told to ask."""

import pytest

from facesite import roles
from tests.conftest import make_user
from tests.factories import make_identity


def start_card(client) -> str:
    page = client.get("/").content.decode()
    if "Where to start" not in page:
        return ""
    return page.split("Where to start", 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize(
    ("web", "says", "not_says"),
    [
        ("admin_web", ["Bulk add", "/jobs/", "import_faces", "/users/"], ["Reviewers:", "Uploaders:"]),
        ("reviewer_web", ['href="/review/"', "<kbd>Enter</kbd>"], ["Admins:", "Uploaders:", "Bulk add"]),
        ("uploader_web", ['href="/recognize/"'], ["Admins:", "Reviewers:"]),
        ("outsider_web", ["holds no role yet", "ask an admin"], ["Admins:", "Reviewers:", "Uploaders:"]),
    ],
)
def test_a_fresh_site_tells_each_role_where_to_start(request, web, says, not_says):
    card = start_card(request.getfixturevalue(web))
    assert all(text in card for text in says) and not any(text in card for text in not_says)


def test_an_account_with_every_role_reads_each_start(client, db):
    client.force_login(make_user("admin", roles.ADMIN, roles.REVIEWER, roles.UPLOADER))
    card = start_card(client)
    assert "Admins:" in card and "Reviewers:" in card and "Uploaders:" in card


def test_once_there_are_identities_only_an_account_without_a_role_is_told(request, db):
    make_identity("Ada Lovelace")
    assert start_card(request.getfixturevalue("reviewer_web")) == ""
    request.getfixturevalue("client").force_login(make_user("otto"))
    assert "holds no role yet" in start_card(request.getfixturevalue("client"))
