"""On the identity list, an admin selects many identities and merges them into one
(after a confirm page; all or none) or archives them."""

import pytest

from identities.models import AuditEvent, Face, Identity
from tests.factories import make_face, make_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def names():
    identities = {name: make_identity(name) for name in ("Ada Lovelace", "Ada", "A. Lovelace", "Bea")}
    for identity in identities.values():
        make_face(identity, Face.Status.APPROVED)
    return identities


def bulk(web, action: str, identities, target: str = "", **extra):
    data = {"action": action, "identity": [identity.pk for identity in identities], "target": target, **extra}
    return web.post("/identities/bulk/", data, follow=True)


def test_the_list_has_a_checkbox_per_identity_and_the_bulk_actions(admin_web, names):
    page = admin_web.get("/identities/").content.decode()

    assert f'name="identity" value="{names["Ada"].pk}"' in page
    assert 'action="/identities/bulk/"' in page and 'value="merge"' in page and 'value="archive"' in page
    assert 'href="/gallery/same-person/"' in page


def test_merging_many_shows_what_will_merge_then_merges_all_into_the_target(admin_web, names):
    sources = [names["Ada"], names["A. Lovelace"]]

    confirm = bulk(admin_web, "merge", [*sources, names["Ada Lovelace"]], "ada lovelace")

    content = confirm.content.decode()
    assert "Merge 2 identities into Ada Lovelace?" in content
    assert Identity.objects.count() == 4

    done = bulk(admin_web, "merge", sources, "Ada Lovelace", confirm="1")

    assert "Merged 2 identities into Ada Lovelace: 2 faces and 2 source images moved" in done.content.decode()
    target = Identity.objects.get(name="Ada Lovelace")
    assert not Identity.objects.filter(pk__in=[source.pk for source in sources]).exists()
    assert target.approved_count == 3
    assert target.alias_list() == ["Ada", "A. Lovelace"]
    assert AuditEvent.objects.filter(action="identity.merge").count() == 2


@pytest.mark.parametrize(
    ("target", "message"),
    [("Nobody", "No identity is named"), ("", "Type the name of the identity to merge into.")],
)
def test_a_missing_target_merges_nothing(admin_web, names, target, message):
    response = bulk(admin_web, "merge", [names["Ada"], names["Bea"]], target, confirm="1")

    assert message in response.content.decode()
    assert Identity.objects.count() == 4


def test_an_archived_target_merges_nothing(admin_web, names):
    names["Ada Lovelace"].archived = True
    names["Ada Lovelace"].save(update_fields=["archived"])

    response = bulk(admin_web, "merge", [names["Ada"]], "Ada Lovelace", confirm="1")

    assert "Ada Lovelace is archived" in response.content.decode()
    assert Identity.objects.count() == 4


def test_a_source_deleted_meanwhile_merges_nothing(admin_web, names):
    gone_pk = names["Bea"].pk
    names["Bea"].delete()

    response = admin_web.post(
        "/identities/bulk/",
        {"action": "merge", "identity": [names["Ada"].pk, gone_pk], "target": "Ada Lovelace", "confirm": "1"},
        follow=True,
    )

    assert "were deleted meanwhile; nothing was changed" in response.content.decode()
    assert Identity.objects.filter(pk=names["Ada"].pk).exists()


def test_archiving_many_archives_each_with_an_event(admin_web, names):
    response = bulk(admin_web, "archive", [names["Ada"], names["Bea"]])

    assert "Archived 2 identities." in response.content.decode()
    assert set(Identity.objects.filter(archived=True).values_list("name", flat=True)) == {"Ada", "Bea"}
    assert AuditEvent.objects.filter(action="identity.archive").count() == 2


def test_nothing_selected_is_a_message(admin_web, names):
    response = bulk(admin_web, "archive", [])

    assert "Select some identities first." in response.content.decode()
    assert not Identity.objects.filter(archived=True).exists()


def test_reviewers_cannot_use_bulk_actions(reviewer_web, names):
    assert bulk(reviewer_web, "archive", [names["Ada"]]).status_code == 403
    assert not Identity.objects.filter(archived=True).exists()


def test_only_the_target_selected_is_refused_before_the_confirm_page(admin_web, names):
    response = bulk(admin_web, "merge", [names["Ada"]], "Ada")

    assert "Select identities other than Ada to merge into it." in response.content.decode()
    assert Identity.objects.count() == 4
