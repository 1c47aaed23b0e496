"""A fake Sign in with Apple server on loopback, for tests that run the app's real Apple client
(httpx and PyJWT) end to end: point APPLE_BASE_URL at `server.base_url`.

It implements what the app calls: GET /auth/keys (the JSON Web Key Set of the keys it
publishes), POST /auth/token (an authorization code it issued, exchanged for a refresh token and
an identity token) and POST /auth/revoke. Both POSTs check the client secret as Apple does: an
ES256 JWT signed with the key whose public half the test gave (`client_key`), naming our team,
key id, client id and Apple as audience.

Keys are made by the test with cryptography (RSA for what Apple signs); `identity_token(...)` and
`notification(...)` mint tokens signed by a published key, or by any other key the test passes
(a forged token). Faults: `fail(path, times=1, status=500)`. Every request is recorded.
"""

import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

APPLE_ISSUER = "https://appleid.apple.com"
TEAM_ID = "TEAM123456"
KEY_ID = "KEY1234567"
CLIENT_ID = "app.infinitestories.ios"


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key per name, made once per test run (making one costs CPU)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "use": "sig", "alg": "RS256"}


@dataclass
class Recorded:
    method: str
    path: str
    form: dict


@dataclass
class Fault:
    status: int
    times: int | None  # None: always


@dataclass
class IssuedCode:
    sub: str
    client_id: str
    email: str
    nonce: str | None = None


@dataclass
class FakeApple:
    host: str = "127.0.0.1"
    team_id: str = TEAM_ID
    key_id: str = KEY_ID
    # kid -> the RSA key Apple signs with; only these are in the key set it serves.
    published: dict = field(default_factory=lambda: {"apple-key-1": rsa_key("apple-key-1")})
    requests: list[Recorded] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    # refresh token -> the Apple ID it is for; revoked ones are kept apart.
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)
    # What /auth/keys answers instead of the key set, when set (a broken Apple).
    keys_override: object = None

    def __post_init__(self):
        self._lock = threading.Lock()
        self.client_key = ec_key("client-secret")
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer((self.host, 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "FakeApple":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, path: str, *, times: int | None = 1, status: int = 500) -> None:
        with self._lock:
            self.faults[path] = Fault(status=status, times=times)

    def calls(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def publish(self, kid: str) -> rsa.RSAPrivateKey:
        """Apple rotates: a new key appears in the set (made once per name)."""
        key = rsa_key(kid)
        with self._lock:
            self.published[kid] = key
        return key

    # --- What Apple signs -------------------------------------------------------------------

    def sign(self, claims: dict, *, kid: str = "apple-key-1", key=None, alg: str = "RS256") -> str:
        """`claims` signed as Apple would; `key` another private key (a forgery)."""
        key = key if key is not None else self.published[kid]
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})

    def identity_token(
        self,
        *,
        sub: str = "001234.apple-user.0001",
        aud: str = CLIENT_ID,
        iss: str = APPLE_ISSUER,
        email: str | None = "parent@privaterelay.appleid.com",
        is_private_email: bool = True,
        nonce: str | None = None,
        expires_in: int = 600,
        kid: str = "apple-key-1",
        key=None,
        alg: str = "RS256",
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": iss,
            "aud": aud,
            "exp": now + expires_in,
            "iat": now - 5,
            "sub": sub,
            "auth_time": now - 5,
            "nonce_supported": True,
        }
        if email is not None:
            claims |= {
                "email": email,
                "email_verified": "true",
                "is_private_email": "true" if is_private_email else "false",
            }
        if nonce is not None:
            claims["nonce"] = nonce
        return self.sign(claims, kid=kid, key=key, alg=alg)

    def notification(
        self,
        *,
        sub: str,
        kind: str,
        jti: str | None = None,
        aud: str = CLIENT_ID,
        kid: str = "apple-key-1",
        key=None,
    ) -> str:
        """A server-to-server event as Apple sends it: `events` is a JSON string."""
        events = {"type": kind, "sub": sub, "event_time": int(time.time() * 1000)}
        if kind.startswith("email-"):
            events |= {"email": "parent@privaterelay.appleid.com", "is_private_email": "true"}
        claims = {
            "iss": APPLE_ISSUER,
            "aud": aud,
            "iat": int(time.time()),
            "jti": jti or secrets.token_hex(8),
            "events": json.dumps(events),
        }
        return self.sign(claims, kid=kid, key=key)

    def issue_code(
        self,
        *,
        sub: str = "001234.apple-user.0001",
        client_id: str = CLIENT_ID,
        email: str = "",
        nonce: str | None = None,
    ) -> str:
        """An authorization code, as the app gets one with the identity token; the identity
        token its exchange answers repeats the authorization's (hashed) `nonce`, as Apple's do."""
        code = "c" + secrets.token_hex(16)
        with self._lock:
            self.codes[code] = IssuedCode(sub=sub, client_id=client_id, email=email, nonce=nonce)
        return code

    # --- Requests ---------------------------------------------------------------------------

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is None:
                return None
            if fault.times is None:
                return fault
            if fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _secret_error(self, form: dict) -> str | None:
        """Apple's check of the client secret: None when good, else the error Apple answers."""
        try:
            header = jwt.get_unverified_header(form.get("client_secret", ""))
            claims = jwt.decode(
                form.get("client_secret", ""),
                self.client_key.public_key(),
                algorithms=["ES256"],
                audience=APPLE_ISSUER,
                issuer=self.team_id,
                options={"require": ["iss", "iat", "exp", "aud", "sub"]},
            )
        except jwt.InvalidTokenError:
            return "invalid_client"
        if header.get("kid") != self.key_id or claims["sub"] != form.get("client_id"):
            return "invalid_client"
        if claims["exp"] - claims["iat"] > 15777000:  # Apple's six months
            return "invalid_client"
        return None

    def token(self, form: dict) -> tuple[int, dict]:
        error = self._secret_error(form)
        if error:
            return 400, {"error": error}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            issued = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if issued is None or issued.client_id != form.get("client_id"):
            return 400, {"error": "invalid_grant"}
        refresh = "r" + secrets.token_hex(16)
        with self._lock:
            self.refresh_tokens[refresh] = issued.sub
        id_token = self.identity_token(
            sub=issued.sub, aud=issued.client_id, email=issued.email or None, nonce=issued.nonce
        )
        return 200, {
            "access_token": "a" + secrets.token_hex(16),
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": refresh,
            "id_token": id_token,
        }

    def revoke(self, form: dict) -> tuple[int, dict]:
        error = self._secret_error(form)
        if error:
            return 400, {"error": error}
        token = form.get("token", "")
        with self._lock:
            if self.refresh_tokens.pop(token, None) is not None:
                self.revoked.append(token)
        return 200, {}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeApple

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str, form: dict) -> None:
        path = self.path.split("?")[0]
        with self.fake._lock:
            self.fake.requests.append(Recorded(method=method, path=path, form=form))
        fault = self.fake._fault_for(path)
        if fault is not None:
            self._answer(fault.status, {"error": "server_error"})
            return
        if method == "GET" and path == "/auth/keys":
            with self.fake._lock:
                keys = [jwk(key, kid) for kid, key in self.fake.published.items()]
            override = self.fake.keys_override
            self._answer(200, {"keys": keys} if override is None else override)
        elif method == "POST" and path == "/auth/token":
            self._answer(*self.fake.token(form))
        elif method == "POST" and path == "/auth/revoke":
            self._answer(*self.fake.revoke(form))
        else:
            self._answer(404, {"error": "not_found"})

    def do_GET(self) -> None:
        self._handle("GET", {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = dict(urllib.parse.parse_qsl(raw))
        self._handle("POST", form)
