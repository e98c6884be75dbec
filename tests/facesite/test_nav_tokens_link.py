"""The "API tokens" link shows only for roles the API serves: uploaders and admins."""


def test_the_tokens_link_follows_what_the_api_offers(request, db):
    shown = {}
    for web in ("uploader_web", "admin_web", "reviewer_web", "outsider_web"):
        client = request.getfixturevalue(web)
        shown[web] = 'href="/account/tokens/"' in client.get("/").content.decode()
        client.logout()
    assert shown == {"uploader_web": True, "admin_web": True, "reviewer_web": False, "outsider_web": False}
