"""A fake APNs: HTTP/2 over TLS on loopback (hypercorn), with a certificate authority and a server
certificate the test makes with `cryptography`. The app trusts it through APNS_CA_FILE and talks
to it through its real client (httpx with h2), exactly as to Apple.

It records every request (HTTP version, path, headers, JSON body) and answers 200 with an
apns-id, unless a test scripted other answers for a device token:
`server.script(token, (503, "ServiceUnavailable"), (200, None))`.
"""

import asyncio
import datetime
import ipaddress
import json
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.helpers import free_port


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 and localhost: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake APNs test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


class FakeAPNs:
    def __init__(self, folder: Path):
        self.folder = folder
        self.ca_file, self.cert_file, self.key_file = make_certificates(folder)
        self.port = free_port()
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.requests: list[dict] = []
        self._scripts: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    # --- what tests use

    def script(self, token: str, *answers: tuple[int, str | None]) -> None:
        """The next answers for `token`, in order: (status, Apple's reason or None)."""
        with self._lock:
            self._scripts[token].extend(answers)

    def pushes(self, token: str | None = None) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if token is None or r["token"] == token]

    # --- the server

    async def _app(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        token = scope["path"].rsplit("/", 1)[-1]
        with self._lock:
            self.requests.append(
                {
                    "http_version": scope["http_version"],
                    "method": scope["method"],
                    "path": scope["path"],
                    "token": token,
                    "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                    "body": json.loads(body or b"null"),
                }
            )
            script = self._scripts.get(token)
            status, reason = script.popleft() if script else (200, None)
        headers = [(b"apns-id", str(uuid.uuid4()).encode())]
        reply = b""
        if reason:
            headers.append((b"content-type", b"application/json"))
            reply = json.dumps({"reason": reason}).encode()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": reply})

    def _run(self, started: threading.Event) -> None:
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.certfile = str(self.cert_file)
        config.keyfile = str(self.key_file)
        config.alpn_protocols = ["h2"]
        config.loglevel = "WARNING"
        config.accesslog = None
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        self._loop.call_soon(started.set)
        self._loop.run_until_complete(serve(self._app, config, shutdown_trigger=self._stop.wait))
        self._loop.close()

    def start(self) -> "FakeAPNs":
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        started.wait(10)
        deadline = time.monotonic() + 10
        while True:  # listening once a connection is accepted
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
