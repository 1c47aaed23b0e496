"""Object storage that goes away, for real: an HTTP proxy on loopback in front of moto's S3 server
that the app's own S3 client (boto3, django-storages) talks to. Up, it passes every request on;
down, it answers each with 503 SlowDown, as S3 and R2 do when they are overloaded, so the client's
own retries run out as they would.

    storage = StorageFaults(moto_url).start()      # storage.url is the R2_ENDPOINT
    storage.down_after_puts("narration-pieces/", 2)  # goes down once two such files are written
    storage.up()
"""

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
# Hop-by-hop headers are the proxy's own, never passed on.
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


class StorageFaults:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self.is_down = False
        self.refused = 0  # requests answered 503 while down
        self._puts_left: int | None = None
        self._puts_prefix = ""
        handler = type("Handler", (_Handler,), {"faults": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "StorageFaults":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def down(self) -> None:
        with self._lock:
            self.is_down = True

    def up(self) -> None:
        with self._lock:
            self.is_down, self._puts_left = False, None

    def down_after_puts(self, prefix: str, count: int) -> None:
        """Go down as soon as `count` files whose key starts with `prefix` have been written."""
        with self._lock:
            self._puts_prefix, self._puts_left = prefix, count

    def _refuses(self) -> bool:
        with self._lock:
            if self.is_down:
                self.refused += 1
            return self.is_down

    def _written(self, method: str, path: str, status: int) -> None:
        with self._lock:
            key = path.split("?")[0].split("/", 2)[-1]  # /bucket/key
            if (
                method == "PUT"
                and status == 200
                and self._puts_left is not None
                and key.startswith(self._puts_prefix)
            ):
                self._puts_left -= 1
                if self._puts_left <= 0:
                    self.is_down, self._puts_left = True, None


class _Handler(BaseHTTPRequestHandler):
    faults: StorageFaults
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                line = self.rfile.readline()
                raw += line
                size = int(line.split(b";")[0].strip() or b"0", 16)
                raw += self.rfile.read(size + 2)
                if size == 0:
                    while not raw.endswith(b"\r\n\r\n"):  # trailers, then the blank line
                        raw += self.rfile.readline()
                    return raw
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _pass(self) -> None:
        body = self._body()
        if self.faults._refuses():
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOW_DOWN)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(SLOW_DOWN)
            return
        upstream = http.client.HTTPConnection(*self.faults.upstream, timeout=30)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                upstream.putheader(name, value)
            upstream.endheaders(body or None)
            answer = upstream.getresponse()
            content = answer.read()
        finally:
            upstream.close()
        self.faults._written(self.command, self.path, answer.status)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP and name.lower() != "content-length":
                self.send_header(name, value)
        length = answer.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _pass
