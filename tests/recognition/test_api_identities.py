from django.urls import reverse

from tests.factories import make_identity
from tests.recognition.uploads import bearer


def test_identities_are_listed_a_to_z_a_page_at_a_time(client, uploader):
    for name in ("Carol", "alice", "Bob"):
        make_identity(name)
    make_identity("Archie", archived=True)

    first = client.get(reverse("api_identities"), {"per_page": 2}, **bearer(uploader)).json()
    second = client.get(reverse("api_identities"), {"per_page": 2, "page": 2}, **bearer(uploader)).json()

    assert (first["count"], first["pages"], first["page"]) == (3, 2, 1)
    assert [identity["name"] for identity in first["results"] + second["results"]] == [
        "alice",
        "Bob",
        "Carol",
    ]
    assert set(first["results"][0]) == {"id", "name", "approved_faces"}


def test_identities_are_searched_by_name_and_alias(client, uploader):
    make_identity("Ada Lovelace", aliases="Countess of Lovelace")
    make_identity("Grace Hopper")

    by_name = client.get(reverse("api_identities"), {"q": "grace"}, **bearer(uploader)).json()
    by_alias = client.get(reverse("api_identities"), {"q": "countess"}, **bearer(uploader)).json()

    assert [identity["name"] for identity in by_name["results"]] == ["Grace Hopper"]
    assert [identity["name"] for identity in by_alias["results"]] == ["Ada Lovelace"]


def test_a_bad_page_number_is_a_json_400(client, uploader):
    response = client.get(reverse("api_identities"), {"page": "two"}, **bearer(uploader))
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


def test_the_openapi_description_lists_the_endpoints_and_the_docs_page_links_it(client, uploader_web):
    description = client.get(reverse("api_openapi")).json()

    assert description["openapi"].startswith("3.1")
    assert set(description["paths"]) == {
        "/recognize",
        "/verify",
        "/identities",
        "/results/{id}/faces/{number}/{figure}.png",
    }
    assert {"400", "401", "403", "405", "413", "422"} <= set(
        description["paths"]["/recognize"]["post"]["responses"]
    )
    assert reverse("api_openapi") in uploader_web.get(reverse("api_docs")).content.decode()
