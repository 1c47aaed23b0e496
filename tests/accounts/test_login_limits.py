"""Login and signup limits per account (the e-mail) and per network (an IPv4 address, an IPv6
/64): rotating addresses gives no more guesses, and the families behind one carrier NAT keep
signing in."""

from tests.accounts.factories import PASSWORD, UserFactory
from tests.helpers import assert_envelope, login, signup


def test_guesses_at_one_account_are_limited_per_network(client, user):
    # given ten wrong passwords for one account from one address
    for _ in range(10):
        assert login(client, user.email, "Wrong1234", remote_addr="198.51.100.7").status_code == 401

    # when the eleventh comes from there, even with the right password
    response = login(client, user.email.upper(), PASSWORD, remote_addr="198.51.100.7")

    # then the (account, network) limit answers, not the password check (issue 24: the
    # account itself is no longer locked: tests/accounts/test_account_limits.py)
    body = assert_envelope(response, 429, "RATE_LIMITED")
    assert body["details"]["limit"] == "login_account"
    assert not user.bearer_sessions.exists()


def test_addresses_of_one_ipv6_64_share_one_network_limit(client, settings):
    settings.RATE_LIMITS = "login=3/h"

    statuses = [
        login(
            client, f"guess{n}@example.com", "Wrong1234", remote_addr=f"2001:db8:7:9::{n + 1:x}"
        ).status_code
        for n in range(4)
    ]
    other_network = login(client, "guess9@example.com", "Wrong1234", remote_addr="2001:db8:7:a::1")

    assert statuses == [401, 401, 401, 429]
    assert other_network.status_code == 401


def test_families_behind_one_carrier_nat_keep_signing_in(client):
    # given thirty families whose phones share one carrier address
    families = UserFactory.create_batch(30)

    statuses = {
        login(client, user.email, PASSWORD, remote_addr="100.64.0.1").status_code
        for user in families
    }

    assert statuses == {200}


def test_many_signups_behind_one_address_are_served_and_one_email_is_limited(client):
    # fifteen families sign up behind one carrier address
    assert {
        signup(
            client, email=f"family{n}@example.com", name=None, remote_addr="100.64.0.2"
        ).status_code
        for n in range(15)
    } == {201}
    # one e-mail tried again and again is stopped after five tries
    repeats = [
        signup(client, email="family0@example.com", name=None, remote_addr="100.64.0.2").status_code
        for _ in range(5)
    ]
    assert repeats == [409, 409, 409, 409, 429]  # taken (EMAIL_TAKEN), then limited
