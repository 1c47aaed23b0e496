"""POST /api/import: a family's library (heroes, custom events, stories with narration and
pictures the app already holds) made theirs without any AI work; idempotent per clientId, all or
nothing per request. On PostgreSQL and the S3 server (moto), the files uploaded as the app does."""

import io

import pytest
from django.utils.dateparse import parse_datetime
from PIL import Image

from heroes.models import Hero
from media import pictures
from media import selectors as media_selectors
from media.models import FileUpload
from stories.models import CustomStoryEvent, ImportedItem, NarrationTimings, Story
from stories.models import StoryIllustration as Illustration
from tests.accounts.factories import UserFactory
from tests.conftest import S3_BUCKET
from tests.fakes.fixtures import fake_openai, openai_provider  # noqa: F401
from tests.helpers import client_for
from tests.media.photos import assert_bare, phone_jpeg
from tests.media.uploads import bucket_keys, download, narration, png, upload
from usage.models import CostReservation, StoryQuota, UsageMetric

URL = "/api/import"
TEXT = "The fox and Mia climbed the hill. At the top the moon was waiting for them both."


@pytest.fixture
def parent():
    """A family that never consented to AI processing: an import needs none."""
    return UserFactory(consent=False)


@pytest.fixture
def api(parent, s3_storage, openai_provider):  # noqa: F811
    """The parent's app, on the S3 server, with the fake AI vendor listening (it must hear
    nothing)."""
    return client_for(parent)


@pytest.fixture
def vendor(openai_provider):  # noqa: F811
    """The fake OpenAI server the app is pointed at (AI_PROVIDER=openai)."""
    return openai_provider


def library(api) -> dict:
    """2 heroes, 1 custom event, 3 stories (the first narrated and illustrated), their files
    uploaded through POST /api/files/upload as the app does."""
    avatar = upload(api, phone_jpeg(), category="avatar", mime_type="image/jpeg")
    pictogram = upload(api, png("yellow"), category="pictogram")
    audio = upload(api, narration(TEXT), category="audio")
    late = upload(api, png("red"), category="illustration")
    early = upload(api, png("green"), category="illustration")
    return {
        "heroes": [
            {
                "clientId": "local-hero-1",
                "name": "Mia",
                "age": 6,
                "traits": ["brave", "curious"],
                "appearance": "Curly red hair",
                "abilities": ["talks to foxes"],
                "avatarStorageKey": avatar,
                "createdAt": "2025-03-01T18:00:00Z",
            },
            {
                "clientId": "local-hero-2",
                "name": "Leo",
                "age": 4,
                "traits": ["funny"],
                "appearance": "A green cap",
                "createdAt": "2025-03-02T18:00:00Z",
            },
        ],
        "customEvents": [
            {
                "clientId": "local-event-1",
                "title": "First lost tooth",
                "promptSeed": "A tooth fairy visits",
                "category": "milestones",
                "description": "Mia lost her first tooth",
                "pictogramStorageKey": pictogram,
                "createdAt": "2025-03-03T08:00:00Z",
            }
        ],
        "stories": [
            {
                "clientId": "local-story-1",
                "heroClientId": "local-hero-1",
                "title": "The Moon Hill",
                "content": TEXT,
                "language": "en",
                "customEventClientId": "local-event-1",
                "isFavorite": True,
                "listenCount": 4,
                "createdAt": "2025-03-04T19:30:00Z",
                "lastListenedAt": "2025-03-05T19:30:00Z",
                "audio": {"storageKey": audio, "voice": "nova"},
                "illustrations": [
                    {"storageKey": late, "timestamp": 4.5},
                    {"storageKey": early, "timestamp": 0.0},
                ],
            },
            {
                "clientId": "local-story-2",
                "heroClientId": "local-hero-2",
                "title": "Leo's Bedtime",
                "content": "Leo yawned and the stars sang softly.",
                "language": "fr",
                "eventType": "bedtime",
                "createdAt": "2025-03-06T19:30:00Z",
            },
            {
                "clientId": "local-story-3",
                "heroClientId": "local-hero-1",
                "title": "Mia at the Sea",
                "content": "Mia found a shell that hummed.",
                "createdAt": "2025-03-07T19:30:00Z",
            },
        ],
    }


def ids(answer: dict) -> dict[str, str]:
    return {item["clientId"]: item["id"] for items in answer.values() for item in items}


def rows() -> tuple[int, ...]:
    return (
        Hero.objects.count(),
        CustomStoryEvent.objects.count(),
        Story.objects.count(),
        Illustration.objects.count(),
        NarrationTimings.objects.count(),
        ImportedItem.objects.count(),
    )


def test_a_library_is_imported_and_read_back_exactly_without_any_ai(api, parent, vendor):
    batch = library(api)
    mp3 = narration(TEXT)

    # when
    response = api.post(URL, batch, format="json")

    # then every clientId maps to a new server id
    assert response.status_code == 201, response.json()
    made = ids(response.json())
    assert list(made) == [
        "local-hero-1", "local-hero-2", "local-event-1",
        "local-story-1", "local-story-2", "local-story-3",
    ]  # fmt: skip
    # the heroes, as the app had them, with a clean copy of the avatar
    mia = api.get(f"/api/heroes/{made['local-hero-1']}").json()["hero"]
    assert {k: mia[k] for k in ("name", "age", "traits", "appearance", "abilities")} == {
        "name": "Mia",
        "age": 6,
        "traits": ["brave", "curious"],
        "appearance": "Curly red hair",
        "abilities": ["talks to foxes"],
    }
    avatar = assert_bare(download(mia["avatarUrl"]))
    assert avatar.size == (40, 20)
    heroes = {h["id"]: h for h in api.get("/api/heroes").json()["heroes"]}
    assert parse_datetime(heroes[made["local-hero-2"]]["createdAt"]) == parse_datetime(
        "2025-03-02T18:00:00Z"
    )
    assert heroes[made["local-hero-2"]]["avatarUrl"] is None
    # the custom event with its pictogram, used once (by the first story)
    event = api.get(f"/api/custom-events/{made['local-event-1']}").json()["customEvent"]
    assert (event["title"], event["promptSeed"], event["category"], event["description"]) == (
        "First lost tooth", "A tooth fairy visits", "milestones", "Mia lost her first tooth",
    )  # fmt: skip
    assert event["usageCount"] == 1
    assert parse_datetime(event["lastUsedAt"]) == parse_datetime("2025-03-04T19:30:00Z")
    assert Image.open(io.BytesIO(download(event["pictogramUrl"]))).getpixel((1, 1))[:3] == (
        255, 255, 0,
    )  # fmt: skip
    # the narrated, illustrated story: dates, favourite, listens, narration, pictures in order
    story = api.get(
        f"/api/stories/{made['local-story-1']}", {"includeIllustrations": "true"}
    ).json()["story"]
    assert story["heroId"] == made["local-hero-1"]
    assert story["customEventId"] == made["local-event-1"]
    assert (story["title"], story["content"], story["language"]) == ("The Moon Hill", TEXT, "en")
    assert (story["isFavorite"], story["listenCount"]) == (True, 4)
    assert parse_datetime(story["createdAt"]) == parse_datetime("2025-03-04T19:30:00Z")
    assert parse_datetime(story["lastListenedAt"]) == parse_datetime("2025-03-05T19:30:00Z")
    assert story["audioGenerated"] is True and story["voiceType"] == "nova"
    assert story["audioDuration"] == pytest.approx(len(TEXT.split()) * 0.4, abs=0.05)
    assert download(story["audioUrl"]) == mp3  # stored as it is
    pictures = story["illustrations"]
    assert [(p["timestamp"], p["displayOrder"], p["generationStatus"]) for p in pictures] == [
        (0.0, 0, "completed"),
        (4.5, 1, "completed"),
    ]
    assert pictures[0]["duration"] == 4.5
    colors = [Image.open(io.BytesIO(download(p["imageUrl"]))).getpixel((1, 1)) for p in pictures]
    assert colors == [(0, 128, 0), (255, 0, 0)]
    timings = api.get(f"/api/stories/{made['local-story-1']}/audio/timings").json()
    assert timings["source"] == "estimated"
    assert [w["text"] for w in timings["words"]][:3] == ["The", "Moon", "Hill"]
    assert timings["words"][-1]["end"] <= story["audioDuration"]
    # the two plain stories
    leo = api.get(f"/api/stories/{made['local-story-2']}").json()["story"]
    assert (leo["heroId"], leo["eventType"], leo["language"]) == (
        made["local-hero-2"], "bedtime", "fr",
    )  # fmt: skip
    assert (leo["audioUrl"], leo["audioGenerated"], leo["isFavorite"], leo["listenCount"]) == (
        None, False, False, 0,
    )  # fmt: skip
    listed = api.get("/api/stories", {"sortBy": "createdAt", "sortOrder": "asc"}).json()
    assert [s["id"] for s in listed["stories"]] == [
        made["local-story-1"], made["local-story-2"], made["local-story-3"],
    ]  # fmt: skip
    # no AI: no vendor request, no quota, no usage, no reservation
    assert vendor.requests == []
    assert not StoryQuota.objects.filter(user=parent, stories_used__gt=0).exists()
    assert not UsageMetric.objects.filter(user=parent).exists()
    assert not CostReservation.objects.exists()


def test_the_same_batch_again_changes_nothing_and_answers_the_same_ids(api, s3_storage):
    batch = library(api)
    first = api.post(URL, batch, format="json")
    before = rows()
    files = bucket_keys(s3_storage, S3_BUCKET)
    updated = sorted(Story.objects.values_list("updated_at", flat=True))

    again = api.post(URL, batch, format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert rows() == before == (2, 1, 3, 2, 1, 6)
    assert bucket_keys(s3_storage, S3_BUCKET) == files
    assert sorted(Story.objects.values_list("updated_at", flat=True)) == updated
    assert CustomStoryEvent.objects.get().usage_count == 1


def test_a_batch_can_be_resumed_item_by_item(api):
    # the connection broke after the heroes went through: the next batch names them by clientId
    batch = library(api)
    heroes = api.post(URL, {"heroes": batch["heroes"]}, format="json").json()

    rest = api.post(URL, batch, format="json")

    assert rest.status_code == 201
    assert rest.json()["heroes"] == heroes["heroes"]
    assert Hero.objects.count() == 2 and Story.objects.count() == 3


def test_one_bad_item_writes_nothing_and_is_named(api, s3_storage):
    batch = library(api)
    batch["stories"][2]["heroClientId"] = "nobody"
    batch["stories"][1]["listenCount"] = -1
    files = bucket_keys(s3_storage, S3_BUCKET)

    response = api.post(URL, batch, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["details"]["items"] == [
        {
            "list": "stories",
            "index": 1,
            "clientId": "local-story-2",
            "field": "listenCount",
            "message": "Ensure this value is greater than or equal to 0.",
        }
    ]
    batch["stories"][1]["listenCount"] = 0
    response = api.post(URL, batch, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["items"] == [
        {
            "list": "stories",
            "index": 2,
            "clientId": "local-story-3",
            "field": "heroClientId",
            "message": "Unknown hero.",
        }
    ]
    assert rows() == (0, 0, 0, 0, 0, 0)
    # the uploads are left as they were, unused, for the daily purge of unused uploads
    assert bucket_keys(s3_storage, S3_BUCKET) == files
    assert set(FileUpload.objects.values_list("entity_id", flat=True)) == {""}


def test_html_uploaded_as_audio_is_refused_named_and_deleted(api, s3_storage):
    batch = library(api)
    page = upload(api, b"<html><body>not a narration</body></html>", category="audio")
    batch["stories"][0]["audio"]["storageKey"] = page

    response = api.post(URL, batch, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["items"] == [
        {
            "list": "stories",
            "index": 0,
            "clientId": "local-story-1",
            "field": "audio.storageKey",
            "message": "The narration is not an MP3 file.",
        }
    ]
    assert rows() == (0, 0, 0, 0, 0, 0)
    keys = bucket_keys(s3_storage, S3_BUCKET)
    assert page not in keys  # never served
    # the copies made of the batch's good files are gone, their uploads are left unused
    assert keys == set(
        FileUpload.objects.exclude(storage_key=page).values_list("storage_key", flat=True)
    )


def test_a_png_bomb_as_illustration_is_refused_and_deleted(api, s3_storage):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb, format="PNG")
    key = upload(api, bomb.getvalue(), category="illustration")
    story = {"clientId": "s", "title": "T", "content": "C", "illustrations": [
        {"storageKey": key, "timestamp": 0}]}  # fmt: skip

    response = api.post(URL, {"stories": [story]}, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["items"][0]["field"] == "illustrations[0].storageKey"
    assert response.json()["details"]["items"][0]["message"] == "The picture has too many pixels."
    assert not media_selectors.media_exists(key=key)
    assert Story.objects.count() == 0


def test_another_familys_storage_key_is_refused_and_left_alone(api, s3_storage):
    other = client_for(UserFactory())
    theirs = upload(other, png(), category="avatar")
    hero = {"clientId": "h", "name": "Mia", "age": 6, "traits": ["brave"], "appearance": "x",
            "avatarStorageKey": theirs}  # fmt: skip

    response = api.post(URL, {"heroes": [hero]}, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["items"] == [
        {
            "list": "heroes",
            "index": 0,
            "clientId": "h",
            "field": "avatarStorageKey",
            "message": "None of your uploads of category avatar has this key.",
        }
    ]
    assert Hero.objects.count() == 0
    assert media_selectors.media_exists(key=theirs)
    assert FileUpload.objects.get(storage_key=theirs).entity_id == ""


def test_a_storage_key_used_twice_is_refused_in_one_batch_and_in_a_later_one(api):
    key = upload(api, png(), category="illustration")
    story = {"clientId": "s1", "title": "T", "content": "C",
             "illustrations": [{"storageKey": key, "timestamp": 0}]}  # fmt: skip
    twin = {**story, "clientId": "s2"}

    twice = api.post(URL, {"stories": [story, twin]}, format="json")
    once = api.post(URL, {"stories": [story]}, format="json")
    later = api.post(URL, {"stories": [twin]}, format="json")

    assert twice.status_code == 400
    assert twice.json()["details"]["items"] == [
        {
            "list": "stories",
            "index": 1,
            "clientId": "s2",
            "field": "illustrations[0].storageKey",
            "message": "This storage key is used twice in this import.",
        }
    ]
    assert once.status_code == 201
    assert later.status_code == 400
    assert later.json()["details"]["items"][0]["message"] == (
        "This upload has already been used; upload the file again."
    )
    assert Story.objects.count() == 1 and Illustration.objects.count() == 1


def test_a_file_of_another_category_is_refused(api):
    picture = upload(api, png(), category="illustration")
    hero = {"clientId": "h", "name": "Mia", "age": 6, "traits": ["brave"], "appearance": "x",
            "avatarStorageKey": picture}  # fmt: skip

    response = api.post(URL, {"heroes": [hero]}, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["items"][0]["field"] == "avatarStorageKey"


def test_more_than_fifty_stories_a_request_is_refused_whole(api):
    stories = [{"clientId": f"s{n}", "title": "T", "content": "C"} for n in range(51)]

    response = api.post(URL, {"stories": stories}, format="json")

    assert response.status_code == 400
    assert response.json()["details"] == {
        "stories": "At most 50 stories a request: import the library in batches."
    }
    assert Story.objects.count() == 0
    assert api.post(URL, {"stories": stories[:50]}, format="json").status_code == 201


def test_more_than_thirty_files_a_request_is_refused_whole(api):
    pictures = [{"storageKey": f"illustrations/{n}.png", "timestamp": n} for n in range(10)]
    stories = [{"clientId": f"s{n}", "title": "T", "content": "C", "illustrations": pictures}
               for n in range(3)]  # fmt: skip
    stories[0]["audio"] = {"storageKey": "audio/x.mp3"}

    response = api.post(URL, {"stories": stories}, format="json")

    assert response.status_code == 400
    assert response.json()["details"] == {
        "nonFieldErrors": "At most 30 files a request: import the library in smaller batches."
    }
    assert Story.objects.count() == 0


def test_the_family_storage_ceiling_refuses_a_batch_past_it(api, settings):
    settings.IMPORT_STORAGE_LIMIT_MB = 0
    key = upload(api, png(), category="avatar")
    hero = {"clientId": "h", "name": "Mia", "age": 6, "traits": ["brave"], "appearance": "x",
            "avatarStorageKey": key}  # fmt: skip

    response = api.post(URL, {"heroes": [hero]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "IMPORT_STORAGE_FULL"
    assert Hero.objects.count() == 0


def test_imports_have_their_own_rate_limit(api, settings):
    settings.RATE_LIMITS = "library_import=1/h"

    first = api.post(URL, {"heroes": []}, format="json")
    second = api.post(URL, {"heroes": []}, format="json")

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["code"] == "RATE_LIMITED"


def test_a_bad_illustration_is_named_by_its_place_in_the_story(api):
    story = {"clientId": "s", "title": "T", "content": "C", "illustrations": [
        {"storageKey": "illustrations/x.png", "timestamp": 1},
        {"storageKey": "illustrations/y.png", "timestamp": -1},
    ]}  # fmt: skip

    response = api.post(URL, {"stories": [story]}, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["items"] == [
        {
            "list": "stories",
            "index": 0,
            "clientId": "s",
            "field": "illustrations[1].timestamp",
            "message": "Ensure this value is greater than or equal to 0.",
        }
    ]


def test_another_familys_hero_id_is_unknown(api):
    theirs = Hero.objects.create(
        user=UserFactory(), name="X", age=5, traits=["brave"], appearance="x"
    )
    story = {"clientId": "s", "heroId": theirs.pk, "title": "T", "content": "C"}

    response = api.post(URL, {"stories": [story]}, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["items"][0]["field"] == "heroId"
    assert Story.objects.count() == 0


# --- Moving between accounts: our own export comes back in (docs/api-guide.md, "Bring your
# library": the app downloads each file of the export and uploads it again, then imports)


def mime_of(content: bytes) -> str:
    return Image.MIME[Image.open(io.BytesIO(content)).format]


def reupload(api, url: str | None, category: str) -> str | None:
    if not url:
        return None
    content = download(url)
    mime = "audio/mpeg" if category == "audio" else mime_of(content)
    return upload(api, content, category=category, mime_type=mime)


def batch_from_export(export: dict, api) -> dict:
    """What the app sends for an export file: each item's old id as its clientId, each file
    uploaded again to the new account."""
    event_fields = ("title", "description", "promptSeed", "keywords", "category", "ageRange",
                    "tone", "pictogramEmoji", "isFavorite", "createdAt")  # fmt: skip
    heroes = [
        {
            "clientId": hero["id"],
            **{k: hero[k] for k in ("name", "age", "traits", "appearance", "abilities")},
            "createdAt": hero["createdAt"],
            **({"avatarStorageKey": key} if (key := reupload(api, hero["avatarUrl"], "avatar")) else {}),
        }
        for hero in export["heroes"]
    ]  # fmt: skip
    events = [
        {
            "clientId": event["id"],
            **{k: event[k] for k in event_fields},
            **({"pictogramStorageKey": key}
               if (key := reupload(api, event["pictogramUrl"], "pictogram")) else {}),
        }
        for event in export["customEvents"]
    ]  # fmt: skip
    stories = []
    for story in export["stories"]:
        item = {
            "clientId": story["id"],
            **{k: story[k] for k in ("title", "content", "language", "eventType", "isFavorite",
                                     "listenCount", "createdAt", "lastListenedAt")},
            "illustrations": [
                {"storageKey": reupload(api, picture["imageUrl"], "illustration"),
                 "timestamp": picture["timestamp"]}
                for picture in story["illustrations"] if picture["imageUrl"]
            ],
        }  # fmt: skip
        if story["heroId"]:
            item["heroClientId"] = story["heroId"]
        if story["customEventId"]:
            item["customEventClientId"] = story["customEventId"]
        if story["audioUrl"]:
            item["audio"] = {
                "storageKey": reupload(api, story["audioUrl"], "audio"),
                "voice": story["voiceType"],
            }
        stories.append(item)
    return {"heroes": heroes, "customEvents": events, "stories": stories}


def comparable(export: dict) -> dict:
    """An export as a family sees it: everything but ids, file URLs and the moment of writing."""

    def files(url):
        return download(url) if url else None

    def pixels(url):
        return Image.open(io.BytesIO(download(url))).convert("RGB").tobytes() if url else None

    return {
        "heroes": [
            {**{k: h[k] for k in ("name", "age", "traits", "appearance", "abilities")},
             "createdAt": parse_datetime(h["createdAt"]), "avatar": pixels(h["avatarUrl"])}
            for h in export["heroes"]
        ],
        "customEvents": [
            {**{k: e[k] for k in ("title", "description", "promptSeed", "category", "usageCount",
                                  "isFavorite", "keywords", "tone")},
             "createdAt": parse_datetime(e["createdAt"]),
             "lastUsedAt": parse_datetime(e["lastUsedAt"]),
             "pictogram": pixels(e["pictogramUrl"])}
            for e in export["customEvents"]
        ],
        "stories": [
            {**{k: s[k] for k in ("title", "content", "language", "eventType", "isFavorite",
                                  "listenCount", "audioGenerated", "audioDuration", "voiceType")},
             "hero": s["hero"]["name"] if s["hero"] else None,
             "createdAt": parse_datetime(s["createdAt"]),
             "lastListenedAt": parse_datetime(s["lastListenedAt"]) if s["lastListenedAt"] else None,
             "audio": files(s["audioUrl"]),
             "illustrations": [
                 (p["timestamp"], p["duration"], p["displayOrder"], pixels(p["imageUrl"]))
                 for p in s["illustrations"]
             ]}
            for s in export["stories"]
        ],
    }  # fmt: skip


def test_our_own_export_comes_back_in_to_another_account(api, vendor):
    # given a family's library in one account
    assert api.post(URL, library(api), format="json").status_code == 201
    export = api.get("/api/user/export").json()
    other = client_for(UserFactory(consent=False))

    # when the app brings the export file into another account
    batch = batch_from_export(export, other)
    first = other.post(URL, batch, format="json")
    again = other.post(URL, batch, format="json")

    # then the new account's export shows the same library, and sending it twice changed nothing
    assert first.status_code == 201, first.json()
    assert again.status_code == 200 and again.json() == first.json()
    moved = other.get("/api/user/export").json()
    assert comparable(moved) == comparable(export)
    assert len(moved["stories"]) == 3 and len(moved["stories"][0]["illustrations"]) == 2
    assert vendor.requests == []


@pytest.mark.servers  # two requests in two threads on PostgreSQL, at the same moment
def test_the_same_batch_sent_twice_at_once_is_imported_once(transactional_db, s3_storage):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    # given a batch the app sent, then sent again as the first answer seemed lost
    family = UserFactory(consent=False)
    batch = library(client_for(family))
    start = Barrier(2)

    def send(api):
        try:
            start.wait()
            response = api.post(URL, batch, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()

    # when both arrive together
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, [client_for(family), client_for(family)]))

    # then one imports, the other finds it all there: the same ids, one copy of everything
    assert sorted(status for status, _ in answers) == [200, 201]
    assert answers[0][1] == answers[1][1]
    assert rows() == (2, 1, 3, 2, 1, 6)


def test_pictures_busy_answers_503_and_keeps_every_upload_for_the_retry(api, s3_storage, settings):
    batch = library(api)
    files = bucket_keys(s3_storage, S3_BUCKET)
    slots = [pictures.picture_decode_slot() for _ in range(settings.PICTURE_DECODE_CONCURRENCY)]
    for slot in slots:  # other families' pictures hold every decoding slot of this process
        slot.__enter__()
    try:
        busy = api.post(URL, batch, format="json")
    finally:
        for slot in slots:
            slot.__exit__(None, None, None)

    assert busy.status_code == 503
    assert busy.json()["code"] == "SERVICE_UNAVAILABLE"
    assert busy["Retry-After"]
    assert rows() == (0, 0, 0, 0, 0, 0)
    assert bucket_keys(s3_storage, S3_BUCKET) == files  # nothing deleted, no copy left
    retry = api.post(URL, batch, format="json")
    assert retry.status_code == 201
    assert rows() == (2, 1, 3, 2, 1, 6)
