"""Apple's side of Sign in with Apple: its public keys, verifying what it signs, the client
secret, and the token and revoke calls. HTTP and JWT only; the account rules are in
accounts.apple_services.

Verification is PyJWT's (RS256 only, iss, aud, exp with a small leeway); the keys come from
`{APPLE_BASE_URL}/auth/keys`, kept in the shared cache and fetched again when a token names a key
we do not have (Apple rotates them), at most once a minute so that forged tokens naming made-up
keys cannot make us hammer Apple. Every call to Apple has a bounded timeout (APPLE_TIMEOUT).
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from functools import cache

import httpx
import jwt
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

logger = logging.getLogger(__name__)

# What Apple puts in `iss` of what it signs, and what our client secret names as `aud`; fixed,
# whatever APPLE_BASE_URL points at (tests point it at a fake server).
APPLE_ISSUER = "https://appleid.apple.com"
# Clocks differ a little between Apple, the phone and us.
LEEWAY_SECONDS = 60
# Apple's keys change rarely; a token naming one we lack fetches them again anyway.
JWKS_CACHE_SECONDS = 6 * 3600
JWKS_REFETCH_COOLDOWN_SECONDS = 60
JWKS_CACHE_KEY = "apple:jwks"
JWKS_REFETCH_KEY = "apple:jwks:refetched"
# Apple accepts a client secret valid up to six months; ours lives minutes, made per call.
CLIENT_SECRET_SECONDS = 300
# Apple's tokens are around 1 KB; anything far larger is not one.
MAX_TOKEN_LENGTH = 8192


class AppleTokenError(Exception):
    """What Apple signed (or claims to have) is not acceptable; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class AppleUnavailable(Exception):
    """Apple could not be reached, timed out, or failed on its side (or refused our client
    secret: a configuration problem): try again later."""


class AppleCodeRejected(Exception):
    """Apple refused the authorization code (used, expired, or for another app)."""


def configured() -> bool:
    return bool(
        settings.APPLE_CLIENT_IDS
        and settings.APPLE_TEAM_ID
        and settings.APPLE_KEY_ID
        and settings.APPLE_PRIVATE_KEY
    )


def nonce_hash(nonce: str) -> str:
    """What the app puts in the authorization request: the SHA-256 hex of its raw nonce."""
    return hashlib.sha256(nonce.encode()).hexdigest()


@dataclass(frozen=True)
class AppleIdentity:
    sub: str
    client_id: str
    email: str
    email_verified: bool
    is_private_email: bool


def _flag(value) -> bool:
    """Apple writes booleans as JSON booleans or as "true"/"false" strings."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


# --- Apple's public keys ----------------------------------------------------------------------


def _jwks_fetch() -> dict:
    try:
        response = httpx.get(f"{settings.APPLE_BASE_URL}/auth/keys", timeout=settings.APPLE_TIMEOUT)
    except httpx.HTTPError as exc:
        raise AppleUnavailable(f"keys: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise AppleUnavailable(f"keys: HTTP {response.status_code}")
    try:
        keys = response.json()
        jwt.PyJWKSet.from_dict(keys)
    except (ValueError, TypeError, AttributeError, jwt.PyJWKError, jwt.PyJWKSetError):
        raise AppleUnavailable("keys: not a JSON Web Key Set") from None
    shared_cache.set(JWKS_CACHE_KEY, keys, JWKS_CACHE_SECONDS)
    return keys


def _signing_key(kid: str) -> jwt.PyJWK:
    """Apple's key named `kid`; the cached set first, fetched again (rate-limited) when absent."""
    keys = shared_cache.get(JWKS_CACHE_KEY)
    fresh = keys is None
    if fresh:
        keys = _jwks_fetch()
    key = _find_key(keys, kid)
    if (
        key is None
        and not fresh
        and shared_cache.add(JWKS_REFETCH_KEY, 1, JWKS_REFETCH_COOLDOWN_SECONDS)
    ):
        key = _find_key(_jwks_fetch(), kid)
    if key is None:
        raise AppleTokenError("unknown_key")
    return key


def _find_key(keys: dict, kid: str) -> jwt.PyJWK | None:
    for data in keys.get("keys", []):
        if data.get("kid") == kid:
            try:
                return jwt.PyJWK.from_dict(data)
            except jwt.PyJWKError:
                return None
    return None


# --- Verifying what Apple signs -----------------------------------------------------------------

_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.InvalidSignatureError, "signature"),
    (jwt.MissingRequiredClaimError, "claims"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidIssuedAtError, "not_yet_valid"),
    (jwt.DecodeError, "malformed"),
]


def _verified_claims(token: str, *, require: list[str]) -> dict:
    """The claims of a JWT Apple signed with RS256 for one of our client ids, or AppleTokenError."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise AppleTokenError("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise AppleTokenError("malformed") from None
    if header.get("alg") != "RS256":
        raise AppleTokenError("algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AppleTokenError("unknown_key")
    key = _signing_key(kid)
    try:
        return jwt.decode(
            token,
            key=key.key,
            algorithms=["RS256"],
            audience=list(settings.APPLE_CLIENT_IDS),
            issuer=APPLE_ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": require},
        )
    except jwt.PyJWTError as exc:  # InvalidKeyError too: a key of the wrong type for RS256
        for exc_class, reason in _REASONS:
            if isinstance(exc, exc_class):
                raise AppleTokenError(reason) from None
        raise AppleTokenError("invalid") from None


def identity_token_verify(
    *, token: str, nonce: str | None = None, check_nonce: bool = True
) -> AppleIdentity:
    """The identity an Apple identity token proves.

    Besides signature, issuer, audience and expiry: a token carrying a nonce is accepted only
    with the raw nonce it was made for (the app sends it), and a raw nonce sent is accepted only
    when the token carries its SHA-256 hex; so a token taken from one sign-in cannot be replayed
    in another. `check_nonce=False` is for the token Apple answers a code exchange with, which
    comes from Apple itself over TLS (whether it repeats the nonce is Apple's business).
    """
    claims = _verified_claims(token, require=["iss", "aud", "exp", "iat", "sub"])
    expected = claims.get("nonce")
    if check_nonce and (expected is not None or nonce):
        if not nonce or not isinstance(expected, str):
            raise AppleTokenError("nonce")
        if not hmac.compare_digest(nonce_hash(nonce), expected):
            raise AppleTokenError("nonce")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub or len(sub) > 255 or "\x00" in sub:
        raise AppleTokenError("claims")
    return AppleIdentity(
        sub=sub,
        client_id=_our_audience(claims["aud"]),
        email=_email(claims.get("email")),
        email_verified=_flag(claims.get("email_verified")),
        is_private_email=_flag(claims.get("is_private_email")),
    )


def _email(value) -> str:
    """The token's e-mail when it is one an account can keep (at most 254 characters, a valid
    address); anything else is as if none was given, never a database error."""
    if not isinstance(value, str):
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value if len(value) <= 254 else ""


def _our_audience(aud) -> str:
    """The client id of ours the token was issued to (PyJWT checked there is one)."""
    audiences = [aud] if isinstance(aud, str) else list(aud)
    return next(value for value in audiences if value in settings.APPLE_CLIENT_IDS)


@dataclass(frozen=True)
class AppleEvent:
    jti: str
    type: str
    sub: str


def notification_verify(*, payload: str) -> AppleEvent:
    """A server-to-server notification: a JWT Apple signs like identity tokens (same keys,
    issuer and audience), whose `events` claim (a JSON string) names the event and the Apple ID.
    Apple's notifications carry no expiry; the `jti` is what makes a replay detectable."""
    claims = _verified_claims(payload, require=["iss", "aud", "iat", "jti", "events"])
    events = claims["events"]
    if isinstance(events, str):
        try:
            events = json.loads(events)
        except ValueError:
            raise AppleTokenError("claims") from None
    if not isinstance(events, dict):
        raise AppleTokenError("claims")
    jti, kind, sub = claims["jti"], events.get("type"), events.get("sub")
    if not all(isinstance(value, str) and 0 < len(value) <= 255 for value in (jti, kind, sub)):
        raise AppleTokenError("claims")
    return AppleEvent(jti=jti, type=kind, sub=sub)


# --- Calls with our client secret -------------------------------------------------------------


def client_secret(*, client_id: str) -> str:
    """The client secret Apple asks for: an ES256 JWT signed with our .p8 key."""
    now = int(time.time())
    try:
        return jwt.encode(
            {
                "iss": settings.APPLE_TEAM_ID,
                "iat": now,
                "exp": now + CLIENT_SECRET_SECONDS,
                "aud": APPLE_ISSUER,
                "sub": client_id,
            },
            settings.APPLE_PRIVATE_KEY,
            algorithm="ES256",
            headers={"kid": settings.APPLE_KEY_ID},
        )
    except (ValueError, TypeError, jwt.InvalidKeyError):
        # The key's text never reaches the log; which setting to look at does.
        logger.error("APPLE_PRIVATE_KEY is not an EC private key in PEM form")
        raise AppleUnavailable("client secret: APPLE_PRIVATE_KEY unreadable") from None


def _post(path: str, data: dict) -> httpx.Response:
    try:
        response = httpx.post(
            f"{settings.APPLE_BASE_URL}{path}", data=data, timeout=settings.APPLE_TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise AppleUnavailable(f"{path}: {type(exc).__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise AppleUnavailable(f"{path}: HTTP {response.status_code}")
    return response


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("error", "") if isinstance(body, dict) else ""


@dataclass(frozen=True)
class AppleTokens:
    refresh_token: str
    id_token: str


def authorization_code_exchange(*, code: str, client_id: str) -> AppleTokens:
    """Exchange the app's one-time authorization code for Apple's tokens; the refresh token
    is what account deletion revokes later."""
    response = _post(
        "/auth/token",
        {
            "client_id": client_id,
            "client_secret": client_secret(client_id=client_id),
            "code": code,
            "grant_type": "authorization_code",
        },
    )
    if response.status_code != 200:
        error = _error_of(response)
        if error == "invalid_grant":
            raise AppleCodeRejected(error)
        logger.error("Apple refused the code exchange: HTTP %s %s", response.status_code, error)
        raise AppleUnavailable(f"token: HTTP {response.status_code} {error}")
    try:
        body = response.json()
        tokens = AppleTokens(refresh_token=body["refresh_token"], id_token=body["id_token"])
    except (ValueError, KeyError, TypeError):
        raise AppleUnavailable("token: unexpected answer") from None
    if not (isinstance(tokens.refresh_token, str) and tokens.refresh_token):
        raise AppleUnavailable("token: no refresh token")
    return tokens


def refresh_token_revoke(*, token: str, client_id: str) -> None:
    """Revoke a refresh token (and with it the user's authorization of the app). A token Apple
    no longer knows (invalid_grant) is as good as revoked."""
    response = _post(
        "/auth/revoke",
        {
            "client_id": client_id,
            "client_secret": client_secret(client_id=client_id),
            "token": token,
            "token_type_hint": "refresh_token",
        },
    )
    if response.status_code == 200:
        return
    error = _error_of(response)
    if error == "invalid_grant":
        return
    raise AppleUnavailable(f"revoke: HTTP {response.status_code} {error}")


# --- Refresh tokens at rest -------------------------------------------------------------------


@cache
def _fernet(keys: tuple[str, ...], secrets: tuple[str, ...]) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(key) for key in keys])
    derived = []
    for secret in secrets:
        raw = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"apple-refresh-token"
        ).derive(secret.encode())
        derived.append(Fernet(base64.urlsafe_b64encode(raw)))
    return MultiFernet(derived)


def _cipher() -> MultiFernet:
    return _fernet(
        tuple(settings.APPLE_TOKEN_KEYS),
        (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS),
    )


def token_encrypt(token: str) -> str:
    return _cipher().encrypt(token.encode()).decode()


def token_decrypt(encrypted: str) -> str | None:
    """The token, or None when no key in force can read it (keys were rotated away)."""
    try:
        return _cipher().decrypt(encrypted.encode()).decode()
    except InvalidToken:
        logger.error("An Apple refresh token cannot be decrypted with the keys in force")
        return None
