"""Repeated failed logins lock out the username and the address, for a cool-off."""

from datetime import timedelta

from tests.conftest import make_user

RIGHT = "correct horse battery staple"


def login(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_lock_the_account_until_the_cool_off_has_passed(client, admin, settings):
    for _ in range(40):
        assert login(client, "ada", "guess").status_code in (200, 429)

    refused = login(client, "ada", RIGHT)

    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert f"Try again in {settings.FACESITE_LOGIN_COOLOFF_MINUTES} minutes" in refused.content.decode()
    assert not logged_in(client)

    # As if the cool-off had passed since the last failure.
    settings.AXES_COOLOFF_TIME = timedelta(0)
    accepted = login(client, "ada", RIGHT)

    assert accepted.status_code == 302
    assert logged_in(client)


def test_the_lockout_starts_after_the_configured_number_of_failures(client, admin, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert [login(client, "ada", "guess").status_code for _ in range(3)] == [200, 200, 429]

    assert login(client, "ada", RIGHT).status_code == 429


def test_one_address_is_locked_out_whichever_usernames_it_tries(client, admin, db):
    make_user("bea")
    for number in range(10):
        login(client, f"nobody{number}", "guess", address="198.51.100.9")

    assert login(client, "bea", RIGHT, address="198.51.100.9").status_code == 429
    assert login(client, "bea", RIGHT, address="198.51.100.10").status_code == 302


def test_one_username_is_locked_out_from_every_address(client, admin):
    for number in range(10):
        login(client, "ada", "guess", address=f"192.0.2.{number}")

    assert login(client, "ada", RIGHT, address="192.0.2.200").status_code == 429


def test_behind_a_proxy_the_address_is_the_last_one_the_proxy_forwarded(client, admin, settings):
    settings.FACESITE_CLIENT_IP_HEADER = "X-Forwarded-For"

    def from_proxy(username: str, password: str, forwarded_for: str):
        return client.post(
            "/login/",
            {"username": username, "password": password},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    for number in range(10):
        # The client may put anything in front; the proxy appends the address it saw.
        from_proxy(f"nobody{number}", "guess", f"1.2.3.{number}, 198.51.100.9")

    assert from_proxy("ada", RIGHT, "198.51.100.9").status_code == 429
    assert from_proxy("ada", RIGHT, "198.51.100.50").status_code == 302
