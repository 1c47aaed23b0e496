"""POST /api/auth/apple and /api/auth/apple/link (accounts.api, accounts.apple_services): the
identity token checked against the fake Apple's keys by the real client, accounts keyed by Apple
ID, the name rule, the e-mail conflict, the code exchange, the limits and the schema."""

import hashlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts import apple
from accounts.models import AppleCredential, BearerSession, User
from tests.accounts.factories import PASSWORD, UserFactory
from tests.admin_urls import admin_url
from tests.fakes.apple_server import CLIENT_ID, rsa_key
from tests.helpers import client_for

SUB = "001234.apple-user.0001"
NONCE = "a-raw-nonce-the-app-made"


def hashed(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def sign_in(client, **body):
    return client.post("/api/auth/apple", body, format="json")


def no_session_was_opened():
    assert BearerSession.objects.count() == 0
    assert User.objects.count() == 0


# --- success ------------------------------------------------------------------------------------


def test_first_sign_in_creates_the_account_with_the_name_and_a_session(client, apple_configured):
    token = apple_configured.identity_token(sub=SUB, nonce=hashed(NONCE))

    response = sign_in(
        client,
        identityToken=token,
        nonce=NONCE,
        fullName={"givenName": "Ada", "familyName": "Lovelace"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"user", "session"}
    assert set(body["session"]) == {"token", "expiresAt"}
    user = User.objects.get(apple_id=SUB)
    assert body["user"]["id"] == user.id
    assert (user.name, user.email) == ("Ada Lovelace", "parent@privaterelay.appleid.com")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified is True
    me = client.get("/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {body['session']['token']}")
    assert me.status_code == 200 and me.json()["user"]["id"] == user.id


def test_second_sign_in_is_200_and_keeps_the_name_though_apple_sends_none(client, apple_configured):
    first = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        fullName={"givenName": "Ada", "familyName": "Lovelace"},
    )
    assert first.status_code == 201

    again = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        fullName={"givenName": None, "familyName": None},
    )
    third = sign_in(client, identityToken=apple_configured.identity_token(sub=SUB), fullName={})

    assert (again.status_code, third.status_code) == (200, 200)
    assert again.json()["user"]["id"] == first.json()["user"]["id"]
    assert User.objects.count() == 1
    assert User.objects.get().name == "Ada Lovelace"
    assert BearerSession.objects.count() == 3


def test_a_later_name_fills_an_empty_one_but_never_replaces_a_name(client, apple_configured):
    sign_in(client, identityToken=apple_configured.identity_token(sub=SUB))
    assert User.objects.get().name == ""

    sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        fullName={"givenName": "Grace"},
    )
    sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        fullName={"givenName": "Someone", "familyName": "Else"},
    )

    assert User.objects.get().name == "Grace"


def test_accounts_are_keyed_by_apple_id_not_by_email(client, apple_configured):
    sign_in(client, identityToken=apple_configured.identity_token(sub=SUB, email="a@relay.example"))

    # the same Apple ID with another relay address is the same account
    same = sign_in(
        client, identityToken=apple_configured.identity_token(sub=SUB, email="b@relay.example")
    )

    assert same.status_code == 200
    assert User.objects.count() == 1
    assert AppleCredential.objects.get().email == "b@relay.example"


def test_an_apple_id_that_shares_no_email_gets_an_account_mail_never_goes_to(
    client, apple_configured
):
    response = sign_in(client, identityToken=apple_configured.identity_token(email=None))

    assert response.status_code == 201
    user = User.objects.get()
    assert user.email.endswith("@apple-id.invalid")
    assert not EmailAddress.objects.filter(user=user).exists()


def test_the_account_speaks_the_requests_language(client, apple_configured):
    sign_in_es = client.post(
        "/api/auth/apple",
        {"identityToken": apple_configured.identity_token()},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert sign_in_es.status_code == 201
    assert User.objects.get().preferred_language == "es"


# --- every refusal: 401 APPLE_TOKEN_INVALID, no account, no session ----------------------------


def refused(response, reason: str) -> None:
    assert response.status_code == 401, response.json()
    assert response.json()["code"] == "APPLE_TOKEN_INVALID"
    assert response.json()["details"] == {"reason": reason}
    no_session_was_opened()


def test_wrong_audience_is_refused(client, apple_configured):
    token = apple_configured.identity_token(aud="com.someone.elses.app")

    refused(sign_in(client, identityToken=token), "audience")


def test_wrong_issuer_is_refused(client, apple_configured):
    token = apple_configured.identity_token(iss="https://evil.example.com")

    refused(sign_in(client, identityToken=token), "issuer")


def test_expired_token_is_refused_beyond_the_leeway(client, apple_configured):
    token = apple_configured.identity_token(expires_in=-(apple.LEEWAY_SECONDS + 30))

    refused(sign_in(client, identityToken=token), "expired")


def test_token_just_expired_within_the_leeway_is_accepted(client, apple_configured):
    token = apple_configured.identity_token(expires_in=-(apple.LEEWAY_SECONDS - 30))

    assert sign_in(client, identityToken=token).status_code == 201


def test_token_signed_by_a_foreign_key_under_apples_kid_is_refused(client, apple_configured):
    token = apple_configured.identity_token(kid="apple-key-1", key=rsa_key("attacker"))

    refused(sign_in(client, identityToken=token), "signature")


def test_token_naming_an_unknown_key_is_refused_after_one_refetch(client, apple_configured):
    token = apple_configured.identity_token(kid="made-up", key=rsa_key("attacker"))

    for _ in range(3):
        refused(sign_in(client, identityToken=token), "unknown_key")

    # the first request fetched the keys; the second, finding the kid in none of the cached
    # ones, fetched them again; the third, within the cool-down, used the cached set: forged
    # kids cannot make us hammer Apple
    assert len(apple_configured.calls("/auth/keys")) == 2


def test_hs256_token_made_with_the_public_key_is_refused(client, apple_configured):
    # the classic algorithm confusion: "signed" with the public key as an HMAC secret
    token = apple_configured.sign(
        {"sub": SUB}, alg="HS256", key="not-a-real-secret-at-all-00000000"
    )

    refused(sign_in(client, identityToken=token), "algorithm")


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "🙂" * 10])
def test_garbage_is_refused(client, apple_configured, garbage):
    response = sign_in(client, identityToken=garbage)

    assert response.status_code in (400, 401)
    if response.status_code == 401:
        assert response.json()["code"] == "APPLE_TOKEN_INVALID"
    else:
        assert response.json()["code"] == "VALIDATION_ERROR"  # an empty string is not a token
    no_session_was_opened()


def test_malformed_token_reason(client, apple_configured):
    refused(sign_in(client, identityToken="not.a.jwt"), "malformed")


def test_nonce_that_does_not_match_is_refused(client, apple_configured):
    token = apple_configured.identity_token(nonce=hashed(NONCE))

    refused(sign_in(client, identityToken=token, nonce="another-nonce"), "nonce")


def test_token_with_a_nonce_needs_the_raw_nonce(client, apple_configured):
    # a token taken from another sign-in, replayed without the nonce it was made for
    token = apple_configured.identity_token(nonce=hashed(NONCE))

    refused(sign_in(client, identityToken=token), "nonce")


def test_nonce_sent_for_a_token_without_one_is_refused(client, apple_configured):
    token = apple_configured.identity_token(nonce=None)

    refused(sign_in(client, identityToken=token, nonce=NONCE), "nonce")


def test_the_raw_nonce_itself_in_the_token_is_refused(client, apple_configured):
    token = apple_configured.identity_token(nonce=NONCE)  # not hashed

    refused(sign_in(client, identityToken=token, nonce=NONCE), "nonce")


def test_a_rotated_key_is_fetched_when_a_token_names_it(client, apple_configured):
    assert sign_in(client, identityToken=apple_configured.identity_token()).status_code == 201
    apple_configured.publish("apple-key-2")

    response = sign_in(client, identityToken=apple_configured.identity_token(kid="apple-key-2"))

    assert response.status_code == 200
    assert len(apple_configured.calls("/auth/keys")) == 2


def test_keys_are_cached_between_sign_ins(client, apple_configured):
    for _ in range(3):
        sign_in(client, identityToken=apple_configured.identity_token())

    assert len(apple_configured.calls("/auth/keys")) == 1


def test_apple_down_is_503_not_a_refusal(client, apple_configured):
    apple_configured.fail("/auth/keys", times=None, status=502)

    response = sign_in(client, identityToken=apple_configured.identity_token())

    assert response.status_code == 503
    assert response.json()["code"] == "APPLE_UNAVAILABLE"
    assert response["Retry-After"]
    no_session_was_opened()


@pytest.mark.parametrize("broken", [["not", "a", "key", "set"], {"keys": "no"}, {"keys": []}])
def test_apple_answering_something_else_than_keys_is_503(client, apple_configured, broken):
    apple_configured.keys_override = broken

    response = sign_in(client, identityToken=apple_configured.identity_token())

    assert response.status_code == 503
    assert response.json()["code"] == "APPLE_UNAVAILABLE"
    no_session_was_opened()


def test_apple_hanging_is_cut_off_by_the_timeout(client, apple_configured, settings):
    # a port that accepts nothing answers at once; a listening socket that never answers hangs
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    settings.APPLE_BASE_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.APPLE_TIMEOUT = 0.3
    try:
        response = sign_in(client, identityToken=apple_configured.identity_token())
    finally:
        silent.close()

    assert response.status_code == 503
    assert response.json()["code"] == "APPLE_UNAVAILABLE"


# --- the e-mail of a password account -----------------------------------------------------------


def test_email_of_a_password_account_is_409_and_nothing_is_merged(client, apple_configured):
    owner = UserFactory(email="parent@privaterelay.appleid.com")

    response = sign_in(client, identityToken=apple_configured.identity_token())

    assert response.status_code == 409
    assert response.json()["code"] == "APPLE_EMAIL_IN_USE"
    owner.refresh_from_db()
    assert owner.apple_id is None
    assert User.objects.count() == 1
    assert not BearerSession.objects.exists()


def test_link_then_sign_in_opens_the_password_account(apple_configured):
    owner = UserFactory(email="Parent@PrivateRelay.AppleID.com".lower())
    signed_in = client_for(owner)

    linked = signed_in.post(
        "/api/auth/apple/link",
        {"identityToken": apple_configured.identity_token(sub=SUB)},
        format="json",
    )
    from rest_framework.test import APIClient

    response = sign_in(APIClient(), identityToken=apple_configured.identity_token(sub=SUB))

    assert linked.status_code == 200, linked.json()
    assert linked.json()["user"]["appleLinked"] is True
    assert response.status_code == 200
    assert response.json()["user"]["id"] == owner.id
    owner.refresh_from_db()
    assert owner.apple_id == SUB
    assert owner.check_password(PASSWORD)  # the password still works too


def test_link_of_an_apple_id_another_account_has_is_409(apple_configured, client):
    sign_in(client, identityToken=apple_configured.identity_token(sub=SUB))
    other = UserFactory()

    response = client_for(other).post(
        "/api/auth/apple/link",
        {"identityToken": apple_configured.identity_token(sub=SUB)},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "APPLE_ID_LINKED_ELSEWHERE"
    other.refresh_from_db()
    assert other.apple_id is None


def test_link_of_a_second_apple_id_is_409(apple_configured):
    owner = UserFactory(apple_id="000111.first")

    response = client_for(owner).post(
        "/api/auth/apple/link",
        {"identityToken": apple_configured.identity_token(sub="000222.second")},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "APPLE_ALREADY_LINKED"
    owner.refresh_from_db()
    assert owner.apple_id == "000111.first"


def test_link_needs_a_session(client, apple_configured):
    response = client.post(
        "/api/auth/apple/link",
        {"identityToken": apple_configured.identity_token()},
        format="json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_link_with_a_bad_token_changes_nothing(apple_configured):
    owner = UserFactory()

    response = client_for(owner).post(
        "/api/auth/apple/link",
        {"identityToken": apple_configured.identity_token(aud="com.other.app")},
        format="json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "APPLE_TOKEN_INVALID"
    owner.refresh_from_db()
    assert owner.apple_id is None
    assert not AppleCredential.objects.exists()


# --- Apple-only accounts and passwords -----------------------------------------------------------


def apple_only_account(client, fake) -> User:
    assert sign_in(client, identityToken=fake.identity_token(sub=SUB)).status_code == 201
    return User.objects.get(apple_id=SUB)


def test_password_login_to_an_apple_only_account_says_to_use_apple(client, apple_configured):
    user = apple_only_account(client, apple_configured)

    response = client.post(
        "/api/auth/login", {"email": user.email, "password": "Whatever123"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "APPLE_SIGN_IN_REQUIRED"
    assert "Apple" in response.json()["error"]


def test_password_login_says_so_in_the_accounts_language(client, apple_configured):
    user = apple_only_account(client, apple_configured)

    response = client.post(
        "/api/auth/login",
        {"email": user.email, "password": "Whatever123"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.json()["code"] == "APPLE_SIGN_IN_REQUIRED"
    assert response.json()["error"] != (
        "This account has no password: it signs in with Apple. Use Sign in with Apple."
    )


def test_password_reset_of_an_apple_only_account_mails_that_it_signs_in_with_apple(
    client, apple_configured
):
    user = apple_only_account(client, apple_configured)

    response = client.post("/api/auth/password/reset", {"email": user.email}, format="json")

    # the answer is the same as for any address (it never says who has an account) ...
    assert response.status_code == 200
    # ... and the e-mail says to sign in with Apple, with no reset link
    (sent,) = mail.outbox
    assert sent.to == [user.email]
    assert "Sign in with Apple" in sent.body
    assert not re.search(r"/auth/reset-password/", sent.body)
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_password_reset_of_a_linked_password_account_still_sends_the_link(apple_configured):
    owner = UserFactory(email="linked@example.com", apple_id=SUB)
    from rest_framework.test import APIClient

    APIClient().post("/api/auth/password/reset", {"email": owner.email}, format="json")

    (sent,) = mail.outbox
    assert re.search(r"/auth/reset-password/", sent.body)


# --- the authorization code -------------------------------------------------------------------


def test_the_code_is_exchanged_once_and_the_refresh_token_kept_encrypted(client, apple_configured):
    code = apple_configured.issue_code(sub=SUB)

    response = sign_in(
        client, identityToken=apple_configured.identity_token(sub=SUB), authorizationCode=code
    )

    assert response.status_code == 201
    (call,) = apple_configured.calls("/auth/token")
    assert call.form["code"] == code and call.form["client_id"] == CLIENT_ID
    (refresh,) = apple_configured.refresh_tokens
    credential = AppleCredential.objects.get()
    assert refresh not in credential.refresh_token_encrypted
    assert apple.token_decrypt(credential.refresh_token_encrypted) == refresh
    assert credential.client_id == CLIENT_ID


def test_a_code_from_a_sign_in_with_a_nonce_is_exchanged(client, apple_configured):
    # Apple's answer to the exchange repeats the authorization's nonce; the app's raw nonce was
    # checked against the identity token already
    code = apple_configured.issue_code(sub=SUB, nonce=hashed(NONCE))

    response = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB, nonce=hashed(NONCE)),
        authorizationCode=code,
        nonce=NONCE,
    )

    assert response.status_code == 201, response.json()
    assert AppleCredential.objects.get().refresh_token_encrypted


def test_a_used_or_unknown_code_is_401_and_opens_nothing(client, apple_configured):
    response = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        authorizationCode="c-never-issued",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "APPLE_CODE_INVALID"
    no_session_was_opened()


def test_a_code_used_once_is_refused_the_second_time(client, apple_configured):
    code = apple_configured.issue_code(sub=SUB)
    token = apple_configured.identity_token(sub=SUB)
    assert sign_in(client, identityToken=token, authorizationCode=code).status_code == 201

    again = sign_in(client, identityToken=token, authorizationCode=code)

    assert again.status_code == 401
    assert again.json()["code"] == "APPLE_CODE_INVALID"
    assert BearerSession.objects.count() == 1


def test_a_code_for_another_apple_id_is_refused(client, apple_configured):
    code = apple_configured.issue_code(sub="000999.someone-else")

    response = sign_in(
        client, identityToken=apple_configured.identity_token(sub=SUB), authorizationCode=code
    )

    assert response.status_code == 401
    assert response.json()["code"] == "APPLE_CODE_INVALID"
    no_session_was_opened()


def test_token_endpoint_down_is_503_and_opens_nothing(client, apple_configured):
    apple_configured.fail("/auth/token", times=1, status=503)

    response = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        authorizationCode=apple_configured.issue_code(sub=SUB),
    )

    assert response.status_code == 503
    assert response.json()["code"] == "APPLE_UNAVAILABLE"
    no_session_was_opened()


def test_a_wrong_private_key_is_refused_by_apple_and_answered_503(
    client, apple_configured, settings
):
    from tests.fakes.apple_server import ec_key, pem

    settings.APPLE_PRIVATE_KEY = pem(ec_key("not-the-registered-key"))

    response = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        authorizationCode=apple_configured.issue_code(sub=SUB),
    )

    assert response.status_code == 503
    assert response.json()["code"] == "APPLE_UNAVAILABLE"
    no_session_was_opened()


def test_a_later_code_replaces_the_refresh_token(client, apple_configured):
    for _ in range(2):
        sign_in(
            client,
            identityToken=apple_configured.identity_token(sub=SUB),
            authorizationCode=apple_configured.issue_code(sub=SUB),
        )

    latest = list(apple_configured.refresh_tokens)[-1]
    credential = AppleCredential.objects.get()
    assert apple.token_decrypt(credential.refresh_token_encrypted) == latest


def test_a_sign_in_without_a_code_keeps_the_refresh_token(client, apple_configured):
    sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        authorizationCode=apple_configured.issue_code(sub=SUB),
    )
    kept = AppleCredential.objects.get().refresh_token_encrypted

    sign_in(client, identityToken=apple_configured.identity_token(sub=SUB))

    assert AppleCredential.objects.get().refresh_token_encrypted == kept


# --- configuration, limits, shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/auth/apple", "/api/auth/apple/link", "/api/auth/apple/notifications"]
)
def test_without_apple_credentials_every_endpoint_is_503_apple_not_configured(path, settings):
    settings.APPLE_CLIENT_IDS = []
    settings.APPLE_PRIVATE_KEY = ""
    api = client_for(UserFactory())
    body = {"identityToken": "a.b.c", "payload": "a.b.c"}

    response = api.post(path, body, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "APPLE_NOT_CONFIGURED"


def test_sign_in_is_rate_limited_like_login(client, apple_configured, settings):
    settings.RATE_LIMITS = "login=3/h"

    answers = [
        sign_in(client, identityToken=apple_configured.identity_token(sub=SUB)).status_code
        for _ in range(4)
    ]

    assert answers == [201, 200, 200, 429]
    assert BearerSession.objects.count() == 3
    # and a password login from the same network shares that count
    response = client.post(
        "/api/auth/login", {"email": "x@example.com", "password": "Xx123456"}, format="json"
    )
    assert response.status_code == 429


def test_link_is_rate_limited_like_login(apple_configured, settings):
    settings.RATE_LIMITS = "login=2/h"
    owner = UserFactory()
    guesses = [
        client_for(owner)
        .post("/api/auth/apple/link", {"identityToken": "forged-token"}, format="json")
        .status_code
        for _ in range(3)
    ]

    assert guesses == [401, 401, 429]
    real = client_for(owner).post(
        "/api/auth/apple/link",
        {"identityToken": apple_configured.identity_token(sub=SUB)},
        format="json",
    )
    assert real.status_code == 429  # the limit holds for a good token too, until it resets
    owner.refresh_from_db()
    assert owner.apple_id is None


def test_the_token_is_required_and_typed(client, apple_configured):
    missing = sign_in(client)
    wrong_type = sign_in(client, identityToken=123)

    assert missing.status_code == 400 and "identityToken" in missing.json()["details"]
    assert wrong_type.status_code == 400 and "identityToken" in wrong_type.json()["details"]


def test_the_profile_and_the_export_say_whether_apple_is_linked_never_the_token(
    client, apple_configured
):
    response = sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        authorizationCode=apple_configured.issue_code(sub=SUB),
    )
    token = response.json()["session"]["token"]
    (refresh,) = apple_configured.refresh_tokens
    encrypted = AppleCredential.objects.get().refresh_token_encrypted

    profile = client.get("/api/user/profile", HTTP_AUTHORIZATION=f"Bearer {token}")
    export = client.get("/api/user/export", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert profile.json()["user"]["appleLinked"] is True
    text = export.content.decode()
    assert '"appleLinked": true' in text or '"appleLinked":true' in text
    assert refresh not in text and encrypted not in text


def test_the_admin_shows_apple_linked_never_the_token(client, apple_configured, staff_browser):
    sign_in(
        client,
        identityToken=apple_configured.identity_token(sub=SUB),
        authorizationCode=apple_configured.issue_code(sub=SUB),
    )
    user = User.objects.get(apple_id=SUB)
    (refresh,) = apple_configured.refresh_tokens
    encrypted = AppleCredential.objects.get().refresh_token_encrypted

    # admin_url quotes the id (a raw `user_3f…` reads as an escape: one id in eight missed)
    page = staff_browser.get(admin_url(user)).content.decode()

    assert "linked, private relay e-mail, mail reaches it, revocable at deletion" in page
    assert refresh not in page and encrypted not in page


def test_openapi_schema_documents_the_apple_endpoints(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()

    sign_in_op = schema["paths"]["/api/auth/apple"]["post"]
    assert {"200", "201", "401", "409", "429", "503"} <= set(sign_in_op["responses"])
    ref = sign_in_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"identityToken", "authorizationCode", "nonce", "fullName"} <= set(request["properties"])
    assert request["required"] == ["identityToken"]
    assert "/api/auth/apple/link" in schema["paths"]
    notifications = schema["paths"]["/api/auth/apple/notifications"]["post"]
    assert {"200", "400", "401", "503"} <= set(notifications["responses"])
