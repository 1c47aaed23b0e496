"""Schemathesis hooks for scripts/fuzz_api.py (loaded through SCHEMATHESIS_HOOKS).

Every operation is fuzzed signed in as the fuzz family (premium plan, parental consent given),
except those that end the session or the account they are sent with: logging out, deleting the
account and withdrawing consent. Each of their test cases signs in as a family of its own, taken
from the spare sessions fuzz_api.py seeded (FUZZ_SPARE_TOKENS, a file with one token a line) or,
once those are spent, from a new signup over the API; so the fuzz family's session lives to the
end of the run and every operation is tested.
"""

import hashlib
import json
import os
import secrets
import threading
import urllib.request

import schemathesis

# Operations whose success ends the session, the account or the consent they were sent with.
SPENDS_ITS_SESSION = {
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/user/account"),
    ("DELETE", "/api/user/consent"),
}


class _Spares:
    """Fresh sessions, each handed out once."""

    def __init__(self, path: str):
        with open(path) as lines:
            self._tokens = [line.strip() for line in lines if line.strip()]
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            if self._tokens:
                return self._tokens.pop()
        return _signup()


def _signup() -> str:
    """A new family with consent to the current policy; its session token."""
    body = {
        "email": f"spare-{secrets.token_hex(8)}@example.com",
        "password": "FuzzPass123",
        "parentalConsent": {
            "policyVersion": os.environ["FUZZ_POLICY_VERSION"],
            "aiProcessing": True,
            "thirdPartyDisclosure": True,
        },
    }
    request = urllib.request.Request(
        f"{os.environ['FUZZ_BASE_URL']}/api/auth/signup",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["session"]["token"]


_spares = _Spares(os.environ["FUZZ_SPARE_TOKENS"])


@schemathesis.auth(refresh_interval=None)
class FuzzFamilySession:
    def get(self, case, ctx):
        operation = case.operation
        if (operation.method.upper(), operation.path) in SPENDS_ITS_SESSION:
            return _spares.take()
        return os.environ["FUZZ_TOKEN"]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def before_call(context, case, kwargs):
    """An Idempotency-Key names one request: the app makes a new one for each story it asks for,
    and the same key with another body is 422 IDEMPOTENCY_KEY_REUSED (a rule between requests
    that the schema states in words only). The fuzzer keeps to it as the app does: a generated
    key gets the body's digest appended, so the same key and body still replay and two bodies
    never share a key. Keys the server refuses (control characters, too long) are sent as
    generated. The reuse answer itself is tested in tests/stories/test_generation_api.py.
    """
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and len(key) <= 200 and all(" " <= char != "\x7f" for char in key):
        body = json.dumps(case.body, sort_keys=True, default=str).encode()
        digest = hashlib.sha256(body).hexdigest()[:16]
        case.headers = {**headers, "Idempotency-Key": f"{key}.{digest}"}
