import re

import pytest

from identities.models import Face
from tests.factories import make_face, make_identity


def names_on(response) -> list[str]:
    """The identity names in the list's table, top to bottom."""
    return re.findall(r'<a href="/identities/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def people(db):
    return {
        "ada": make_identity(
            "Ada Lovelace", aliases="Countess of Lovelace", approved_count=40, pending_count=2
        ),
        "alan": make_identity("alan Turing", approved_count=10, pending_count=9, rejected_count=3),
        "grace": make_identity("Grace Hopper", approved_count=25, rejected_count=7),
        "old": make_identity("Old Name", archived=True, approved_count=60),
    }


def test_lists_active_identities_by_name_case_insensitively(admin_web, people):
    response = admin_web.get("/identities/")
    assert response.status_code == 200
    assert names_on(response) == ["Ada Lovelace", "alan Turing", "Grace Hopper"]


def test_search_matches_names_and_aliases_in_any_case(admin_web, people):
    assert names_on(admin_web.get("/identities/?q=TURING")) == ["alan Turing"]
    assert names_on(admin_web.get("/identities/?q=countess")) == ["Ada Lovelace"]


def test_search_with_no_match_says_so(admin_web, people):
    response = admin_web.get("/identities/?q=nobody")
    assert names_on(response) == []
    assert "No identities match “nobody”" in response.content.decode()


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("archived", ["Old Name"]),
        ("ready", ["Ada Lovelace"]),
        ("all", ["Ada Lovelace", "alan Turing", "Grace Hopper", "Old Name"]),
        ("nonsense", ["Ada Lovelace", "alan Turing", "Grace Hopper"]),
    ],
)
def test_filters(admin_web, people, show, expected):
    assert names_on(admin_web.get(f"/identities/?show={show}")) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-name", ["Grace Hopper", "alan Turing", "Ada Lovelace"]),
        ("-approved", ["Ada Lovelace", "Grace Hopper", "alan Turing"]),
        ("approved", ["alan Turing", "Grace Hopper", "Ada Lovelace"]),
        ("-pending", ["alan Turing", "Ada Lovelace", "Grace Hopper"]),
        ("-rejected", ["Grace Hopper", "alan Turing", "Ada Lovelace"]),
        ("created", ["Ada Lovelace", "alan Turing", "Grace Hopper"]),
        ("-created", ["Grace Hopper", "alan Turing", "Ada Lovelace"]),
    ],
)
def test_sorts(admin_web, people, sort, expected):
    assert names_on(admin_web.get(f"/identities/?sort={sort}")) == expected


def test_column_headers_toggle_the_sort_and_keep_the_search(admin_web, people):
    page = admin_web.get("/identities/?q=a&sort=-approved").content.decode()
    assert 'href="?q=a&amp;sort=approved"' in page
    assert 'href="?q=a&amp;sort=name"' in page


def test_pages_of_fifty_keep_the_query(admin_web, db):
    for number in range(120):
        make_identity(f"Person {number:03d}")
    first = admin_web.get("/identities/?q=person&sort=-name")
    assert len(names_on(first)) == 50
    assert names_on(first)[0] == "Person 119"
    assert 'href="?q=person&amp;sort=-name&amp;page=2"' in first.content.decode()
    last = admin_web.get("/identities/?q=person&sort=-name&page=3")
    assert names_on(last) == [f"Person {number:03d}" for number in range(19, -1, -1)]
    assert names_on(admin_web.get("/identities/?q=person&sort=-name&page=99")) == names_on(last)


def test_readiness_badges_and_archived_badge(admin_web, people):
    page = admin_web.get("/identities/?show=all").content.decode()
    rows = {
        name: row
        for row in page.split("<tr")
        for name in ["Ada Lovelace", "Grace Hopper", "Old Name"]
        if name in row
    }
    assert "badge ready" in rows["Ada Lovelace"]
    assert "badge ready" not in rows["Grace Hopper"]
    assert "badge archived" in rows["Old Name"]
    assert "badge ready" not in rows["Old Name"], "archived identities are not trained on"
    assert 'style="width: 80%"' in rows["Ada Lovelace"]


def test_thumbnail_prefers_an_approved_face_and_falls_back_to_a_placeholder(admin_web, db):
    with_faces = make_identity("With Faces")
    make_face(with_faces, status=Face.Status.PENDING)
    approved = make_face(with_faces, status=Face.Status.APPROVED)
    only_pending = make_identity("Only Pending")
    pending = make_face(only_pending, status=Face.Status.PENDING)
    make_identity("No Faces")
    page = admin_web.get("/identities/").content.decode()
    assert f'src="/faces/{approved.pk}/image/"' in page
    assert f'src="/faces/{pending.pk}/image/"' in page
    assert 'class="thumb placeholder"' in page
