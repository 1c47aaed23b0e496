"""Every answer of the public API byte-identical between two checkouts (e.g. main and a branch).

For each checkout in turn: a fresh PostgreSQL database migrated and seeded with one family
whose ids, times and token are fixed (bench/stack.py's production settings, offline AI), the
checkout's Procfile web command on one port, and a fixed sequence of reads recorded (status,
body, the headers that do not name the moment), each read twice (the second answer may be the
one kept by its ETag). Then the recordings are compared: a status or
body that differs fails (exit 1); header differences are listed.

Run: `.venv/bin/python scripts/compare_answers.py /work/main .` (the first is the baseline);
`--record DIR OUT.json` records one checkout only.
"""

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import stack  # noqa: E402

DB_NAME, REDIS_URL = stack.database_and_redis(db_name="infinitestories_compare", redis_db=13)
TOKEN = "compare-answers-fixed-token-0123456789abcdef0123456789abcdef"  # noqa: S105
USER = "user_CompareAnswers00000001"
HEROES = [f"hero_CompareAnswers0000000{n}" for n in range(5)]
STORIES = [f"story_CompareAnswers00000{n:02d}" for n in range(20)]

SEED = f"""
import datetime, hashlib
from django.utils import timezone
from accounts.models import BearerSession, User
from accounts.services import consent_to_current_policy
from heroes.models import Hero, HeroVisualProfile
from stories.models import Story, StoryIllustration

T0 = datetime.datetime(2026, 1, 1, 19, 0, tzinfo=datetime.UTC)
user = User(id={USER!r}, email="family@example.com", name="Ana", subscription_tier=User.Tier.PREMIUM)
user.set_unusable_password()
user.save()
consent = consent_to_current_policy(
    user=user, app_version="compare", ip_address="127.0.0.1", user_agent="compare"
)
type(consent).objects.filter(pk=consent.pk).update(
    id="consent_CompareAnswers00001", consented_at=T0
)
User.objects.filter(pk=user.pk).update(
    parental_consent_at=T0, created_at=T0, updated_at=T0, last_seen_at=T0
)
BearerSession.objects.create(
    id="sess_CompareAnswers00000001", user=user,
    token_hash=hashlib.sha256({TOKEN!r}.encode()).hexdigest(),
    expires_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC), last_used_at=timezone.now(),
)
heroes = []
for n, pk in enumerate({HEROES!r}):
    heroes.append(Hero.objects.create(
        id=pk, user=user, name=f"Hero {{n}}", age=5 + n, traits=["brave", "kind"],
        appearance="curly hair", abilities=["flying"], avatar_key=f"avatars/{{pk}}.png" if n % 2 else "",
    ))
    Hero.objects.filter(pk=pk).update(
        created_at=T0 + datetime.timedelta(hours=n), updated_at=T0 + datetime.timedelta(hours=n)
    )
profile = HeroVisualProfile.objects.create(
    hero=heroes[1], hair_color="red", hair_style="curly", eye_color="green", skin_tone="light",
    clothing_style="cape", art_style="watercolor", color_palette=["gold"],
)
HeroVisualProfile.objects.filter(pk=profile.pk).update(created_at=T0, updated_at=T0)
for n, pk in enumerate({STORIES!r}):
    story = Story.objects.create(
        id=pk, user=user, hero=heroes[n % 5], hero_name=heroes[n % 5].name, title=f"Story {{n}}",
        content="Once upon a time. " * 50, language="en", event_type="bedtime",
        audio_key=f"audio/{{pk}}.mp3" if n % 3 == 0 else "", audio_generated=n % 3 == 0,
        audio_duration=240.0 if n % 3 == 0 else None, listen_count=n, is_favorite=n % 4 == 0,
    )
    Story.objects.filter(pk=pk).update(
        created_at=T0 + datetime.timedelta(days=1, hours=n),
        updated_at=T0 + datetime.timedelta(days=1, hours=n),
    )
    for i in range(n % 4):
        row = StoryIllustration.objects.create(
            id=f"illus_Compare{{n:02d}}{{i}}0000000000", story=story, display_order=i,
            timestamp=30.0 * i, image_key=f"illustrations/{{pk}}-{{i}}.png",
            generation_status="completed",
        )
        StoryIllustration.objects.filter(pk=row.pk).update(
            created_at=T0 + datetime.timedelta(days=2, minutes=n * 10 + i),
            updated_at=T0 + datetime.timedelta(days=2, minutes=n * 10 + i),
        )
"""

READS = [
    "/api/auth/session",
    "/api/user/profile",
    "/api/heroes",
    "/api/heroes?limit=2",
    "/api/heroes?limit=2&offset=2",
    "/api/heroes?limit=2&offset=4",
    "/api/heroes?limit=5",
    "/api/heroes?limit=2&offset=9",
    "/api/heroes?sortBy=name&sortOrder=asc",
    "/api/heroes/traits",
    f"/api/heroes/{HEROES[1]}",
    f"/api/heroes/{HEROES[1]}?includeStories=true&storyLimit=3",
    f"/api/heroes/{HEROES[0]}",
    "/api/heroes/hero_doesnotexist000000000",
    "/api/stories",
    "/api/stories?limit=5",
    "/api/stories?limit=5&offset=15",
    "/api/stories?limit=5&offset=18",
    "/api/stories?limit=5&offset=40",
    "/api/stories?sortBy=listenCount&sortOrder=asc",
    f"/api/stories?heroId={HEROES[2]}",
    "/api/stories?isFavorite=true",
    "/api/stories?limit=0",
    f"/api/stories/{STORIES[3]}",
    f"/api/stories/{STORIES[3]}?includeIllustrations=true",
    f"/api/stories/{STORIES[0]}?includeIllustrations=true",
    f"/api/stories/{STORIES[3]}/illustrations",
    "/api/stories/story_doesnotexist00000000",
    "/api/custom-events",
    "/api/story-events",
]
# Headers that name the moment or the request, not the answer (a rate-limit window can turn
# between two reads).
MEDIA_ROOT = tempfile.mkdtemp(prefix="compare-answers-")
VOLATILE = {"date", "x-request-id", "x-ratelimit-reset", "x-ratelimit-remaining", "etag", "server"}


def record(tree: Path, port: int) -> list[dict]:
    env = stack.environment(
        db_name=DB_NAME,
        redis_url=REDIS_URL,
        PORT=str(port),
        MEDIA_ROOT=MEDIA_ROOT,
        # Local media URLs are absolute on the request's host: the same for both checkouts.
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    # The checkout's own code first on the path (the venv's editable install is this one's).
    env["PYTHONPATH"] = str(tree)
    stack_root = stack.ROOT
    try:
        stack.ROOT = tree
        stack.scratch_state(env=env, seed=SEED)
    finally:
        stack.ROOT = stack_root
    command = stack.procfile_command("web", root=tree)  # its own web server, as deployed
    web = subprocess.Popen(  # noqa: S603
        ["bash", "-c", f"exec {command}"],  # noqa: S607
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        stack.wait_until_up(f"http://127.0.0.1:{port}", processes=[web])
        answers = []
        # Each read twice: the second is the answer kept by its ETag where there is one.
        for path, again in [(path, again) for path in READS for again in ("", " (again)")]:
            for auth in (f"Bearer {TOKEN}", None) if path == READS[0] else (f"Bearer {TOKEN}",):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                headers = {"Authorization": auth} if auth else {}
                connection.request("GET", path, headers={**headers, "Accept-Language": "en"})
                response = connection.getresponse()
                body = response.read()
                connection.close()
                answers.append(
                    {
                        "request": f"GET {path}" + ("" if auth else " (no token)") + again,
                        "status": response.status,
                        "body": body.decode("utf-8", "replace"),
                        "headers": {
                            k.lower(): v
                            for k, v in response.getheaders()
                            if k.lower() not in VOLATILE
                        },
                    }
                )
        return answers
    finally:
        stack.stop([web])


def compare(baseline: list[dict], candidate: list[dict]) -> int:
    failures = 0
    for old, new in zip(baseline, candidate, strict=True):
        if (old["status"], old["body"]) != (new["status"], new["body"]):
            failures += 1
            print(f"DIFFERS {old['request']}: {old['status']} -> {new['status']}")
            at = next(
                (
                    i
                    for i, (a, b) in enumerate(zip(old["body"], new["body"], strict=False))
                    if a != b
                ),
                min(len(old["body"]), len(new["body"])),
            )
            start = max(at - 80, 0)
            print(
                f"  before: …{old['body'][start : at + 80]}\n  after:  …{new['body'][start : at + 80]}"
            )
        removed = set(old["headers"].items()) - set(new["headers"].items())
        added = set(new["headers"].items()) - set(old["headers"].items())
        if removed or added:
            print(f"headers of {old['request']}: -{sorted(removed)} +{sorted(added)}")
    print(f"{len(baseline)} answers, {failures} differ in status or body")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path, nargs="?", default=ROOT)
    parser.add_argument("--record", type=Path, help="record the baseline only, to this file")
    args = parser.parse_args()
    port = stack.port()
    baseline = record(args.baseline.resolve(), port)
    if args.record:
        args.record.write_text(json.dumps(baseline, indent=1))
        return 0
    time.sleep(1)
    candidate = record(args.candidate.resolve(), port)
    return compare(baseline, candidate)


if __name__ == "__main__":
    sys.exit(main())
