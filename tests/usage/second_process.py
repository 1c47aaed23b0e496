"""Another Django process on the same database and Redis, for tests that show a limit or a
switch holding across processes (`SecondProcess`). Run as `python -m tests.usage.second_process`:
it answers each request line (JSON: method, path, body, token) with one line (status, code)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def serve() -> None:
    import django

    django.setup()
    from django.db import connection
    from rest_framework.test import APIClient

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {ask['token']}")
        response = getattr(api, ask["method"].lower())(ask["path"], ask.get("body"), format="json")
        body = response.json() if response.content else {}
        print(json.dumps({"status": response.status_code, "code": body.get("code")}), flush=True)
        connection.close()


class SecondProcess:
    """Starts the process with the test's own database and Redis (no restart in between)."""

    def __init__(self):
        from django.conf import settings
        from django.db import connection

        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
            "DATABASE_URL": f"postgres://{db['USER']}{password}@{host}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("RATE_LIMITS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.usage.second_process"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> dict:
        line = json.dumps({"method": method, "path": path, "token": token, "body": body or {}})
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


if __name__ == "__main__":
    serve()
