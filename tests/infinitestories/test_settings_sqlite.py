"""The embedded default (SQLite) under parallel writes: every request answers normally.

The suite runs on PostgreSQL, so this boots the project's settings on a SQLite file in a
subprocess, migrates it, and sends eight families' story requests at once from eight threads
(each one reads, then writes the quota, the story and its job in one transaction).
"""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, threading
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rest_framework.test import APIClient
from accounts import services
from accounts.models import User
from heroes.models import Hero

THREADS = 8
clients, heroes = [], []
for n in range(THREADS):
    user = User.objects.create_user(email=f"family{n}@example.com", password="Secret123")
    services.consent_to_current_policy(user=user, user_agent="t")
    heroes.append(Hero.objects.create(
        user=user, name=f"Hero {n}", age=6, traits=["brave"], appearance="red boots"
    ))
    _, token = services.session_create(user=user, ip_address="127.0.0.1", user_agent="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    clients.append(client)

start = threading.Barrier(THREADS)
statuses = [[] for _ in range(THREADS)]

def family(n):
    start.wait()
    for _ in range(3):
        response = clients[n].post(
            "/api/stories",
            {"heroId": heroes[n].pk, "eventType": "bedtime", "language": "en",
             "generateAudio": True},
            format="json",
        )
        statuses[n].append(response.status_code)
        favorite = clients[n].patch(
            f"/api/stories/{response.json()['story']['id']}", {"isFavorite": True},
            format="json",
        ) if response.status_code == 201 else None
        statuses[n].append(favorite.status_code if favorite else None)

threads = [threading.Thread(target=family, args=(n,)) for n in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(statuses))
"""


def test_parallel_writes_on_sqlite_answer_normally(tmp_path):
    # given the project's settings on a fresh SQLite file, tasks in-process as in `make dev`
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infinitestories.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "RATE_LIMITS": "story_generation=1000/h,api=100000/m,story_update=1000/m",
    }

    # when eight families write stories at the same moment
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # then every request answered normally: no 500 "database is locked"
    assert result.returncode == 0, result.stderr[-3000:]
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses == [[201, 200] * 3] * 8, result.stderr[-3000:]
