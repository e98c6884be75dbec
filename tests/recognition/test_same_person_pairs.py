"""Admins see pairs of identities whose cores are closer than the 1:1 threshold (one
person under two names), closest first, each with a merge button (the gallery is rows
only: tests/recognition/gallery_rows.py)."""

import numpy as np
import pytest

from identities.models import Identity
from recognition.gallery.curation import close_core_pairs
from recognition.gallery.index import rows_matrix
from recognition.gallery.thresholds import verification_threshold
from tests.factories import make_identity
from tests.recognition.gallery_rows import approved, direction, near

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_gallery_clock")]


@pytest.fixture
def twins():
    """Ada and "Ada L." are one person (same direction); Bea and Cleo are others."""
    people = {name: make_identity(name) for name in ("Ada", "Ada L.", "Bea", "Cleo")}
    for seed in (11, 12, 13):
        approved(people["Ada"], near(direction(1), seed))
    for seed in (14, 15):
        approved(people["Ada L."], near(direction(1), seed))
    for name, person in (("Bea", 2), ("Cleo", 3)):
        for seed in (21, 22):
            approved(people[name], near(direction(person), seed + person))
    return people


def test_the_page_lists_the_close_pair_with_counts_thumbnails_and_a_merge_button(admin_web, twins):
    response = admin_web.get("/gallery/same-person/")

    rows = response.context["rows"]
    assert [(first.name, second.name) for _, (first, second) in rows] == [("Ada", "Ada L.")]
    pair = rows[0][0]
    assert pair.score >= verification_threshold()
    content = response.content.decode()
    assert "3 approved" in content and "2 approved" in content
    assert content.count('class="thumb"') == 2
    merge_url = f"/identities/merge/{twins['Ada'].pk}/{twins['Ada L.'].pk}/"
    assert f'href="{merge_url}"' in content


def test_the_merge_button_asks_which_way_then_merges(admin_web, twins):
    ada, ada_l = twins["Ada"], twins["Ada L."]

    confirm = admin_web.get(f"/identities/merge/{ada.pk}/{ada_l.pk}/").content.decode()

    assert "Merge Ada L. into Ada" in confirm and "Merge Ada into Ada L." in confirm
    admin_web.post(f"/identities/{ada_l.pk}/merge/", {"target_id": ada.pk})
    assert not Identity.objects.filter(pk=ada_l.pk).exists()
    ada.refresh_from_db()
    assert ada.approved_count == 5 and ada.alias_list() == ["Ada L."]
    assert admin_web.get("/gallery/same-person/").context["rows"] == []


def test_archived_identities_are_left_out(admin_web, twins):
    Identity.objects.filter(pk=twins["Ada L."].pk).update(archived=True)

    assert admin_web.get("/gallery/same-person/").context["rows"] == []


def test_pairs_across_blocks_are_all_found_once_best_first():
    # 7 identities, cores compared 3 at a time: pairs within and across blocks.
    vectors = [
        direction(1),
        direction(1),
        direction(2),
        direction(3),
        near(direction(2), 5, 0.2),
        direction(4),
        direction(3),
    ]
    rows = [(number, number, vector.tobytes()) for number, vector in enumerate(vectors, start=1)]
    matrix = rows_matrix(("test",), rows)

    for block in (1, 3, 100):
        pairs = close_core_pairs(matrix, 0.35, block=block)
        found = list(zip(pairs.first_ids.tolist(), pairs.second_ids.tolist(), strict=True))
        assert sorted(found) == [(1, 2), (3, 5), (4, 7)]
        assert list(pairs.scores) == sorted(pairs.scores, reverse=True)
        assert found[-1] == (3, 5) and np.all(pairs.scores >= 0.35)


def test_only_admins_see_it(reviewer_web):
    assert reviewer_web.get("/gallery/same-person/").status_code == 403


def test_the_merge_pair_page_refuses_one_identity_twice(admin_web, twins):
    ada = twins["Ada"]

    response = admin_web.get(f"/identities/merge/{ada.pk}/{ada.pk}/", follow=True)

    assert "That is one identity twice." in response.content.decode()


def test_the_merge_pair_page_is_for_admins(reviewer_web, twins):
    assert reviewer_web.get(f"/identities/merge/{twins['Ada'].pk}/{twins['Bea'].pk}/").status_code == 403
