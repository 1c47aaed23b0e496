"""The child's name never reaches an AI vendor, except as the words narration must speak.

The whole flow runs through the real SDK against the fake OpenAI server, which records every
request byte for byte: a hero whose name the family also wrote into its description, an avatar
drawn from a prompt and one uploaded (a phone photo whose comment names the child), a custom
event named after the hero, a story in each language with narration and illustrations, and an
edit that narrates again. The name is searched in every request, in any case.
"""

import io

import pytest
from PIL import Image

from stories.models import Story
from tests.media.photos import phone_jpeg

# OpenAI's narration is what these tests check: its models still answer, whatever day the suite
# runs on (TEST_TODAY).
pytestmark = pytest.mark.usefixtures("openai_speech_alive")

NAME = "Ottilie"
LANGUAGES = ["en", "es", "fr", "de", "it"]


def mentions_the_name(raw: bytes) -> bool:
    return NAME.lower().encode() in raw.lower()


def upload_photo(api, client) -> str:
    # the photo's own comment names the child: stripping metadata must remove it
    buffer = io.BytesIO()
    Image.open(io.BytesIO(phone_jpeg())).save(
        buffer, format="JPEG", comment=f"{NAME} at the beach".encode()
    )
    photo = buffer.getvalue()
    assert mentions_the_name(photo)
    upload = api.post(
        "/api/files/upload",
        {
            "fileName": f"{NAME}.jpg",
            "mimeType": "image/jpeg",
            "fileSize": len(photo),
            "category": "avatar",
        },
        format="json",
    ).json()
    assert client.put(upload["uploadUrl"], photo, content_type="image/jpeg").status_code == 200
    return upload["storageKey"]


def test_the_heros_name_reaches_no_vendor_but_the_narration_and_every_story_keeps_it(
    openai_provider, auth_client, client, user, settings, django_capture_on_commit_callbacks
):
    # Five illustrated stories and two avatars in a row: more than a free family may in an hour.
    settings.RATE_LIMITS = "illustration_generation=100/h,avatar_generation=100/h"
    user.subscription_tier = "premium"
    user.save(update_fields=["subscription_tier"])
    api = auth_client

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            response = call()
        assert response.status_code in (200, 201, 202), response.json()
        return response.json()

    # a hero, whose description names the child too
    hero = run(
        lambda: api.post(
            "/api/heroes",
            {
                "name": NAME,
                "age": 6,
                "traits": ["brave", "curious"],
                "appearance": f"{NAME} has curly red hair and {NAME.upper()}'S freckles",
                "abilities": [f"{NAME}'s whistle calls the birds"],
            },
            format="json",
        )
    )["hero"]
    # an avatar drawn from the family's words, then one from an uploaded photo
    run(
        lambda: api.post(
            f"/api/heroes/{hero['id']}/avatar",
            {"customPrompt": f"{NAME} in a star cape"},
            format="json",
        )
    )
    storage_key = upload_photo(api, client)
    run(
        lambda: api.post(
            f"/api/heroes/{hero['id']}/avatar", {"storageKey": storage_key}, format="json"
        )
    )
    # the family's own occasion, named after the hero
    event = run(
        lambda: api.post(
            "/api/custom-events",
            {
                "title": f"{NAME}'s first swim",
                "description": f"{NAME} and her dad at the pool",
                "promptSeed": f"{NAME} learns to swim and is proud",
                "keywords": [NAME.lower(), "pool"],
                "category": "milestone",
            },
            format="json",
        )
    )["customEvent"]
    # a story in every language, narrated and illustrated; one for the custom event
    stories = []
    for language in LANGUAGES:
        occasion = {"customEventId": event["id"]} if language == "en" else {"eventType": "birthday"}
        stories.append(
            run(
                lambda language=language, occasion=occasion: api.post(
                    "/api/stories",
                    {
                        "heroId": hero["id"],
                        "language": language,
                        "generateIllustrations": True,
                        "illustrationCount": 2,
                        **occasion,
                    },
                    format="json",
                )
            )["story"]
        )
    # an edit that names the child, narrated again
    edited = run(
        lambda: api.patch(
            f"/api/stories/{stories[0]['id']}",
            {
                "content": f"{NAME} dreams of the sea. {NAME}'s boat sails home.",
                "regenerateAudio": True,
            },
            format="json",
        )
    )

    # every kind of call the app makes went out
    sent = openai_provider.requests
    paths = {request.path for request in sent}
    assert paths >= {
        "/v1/moderations",
        "/v1/chat/completions",
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/audio/speech",
    }
    schemas = {
        r.body["response_format"]["json_schema"]["name"]
        for r in openai_provider.calls("/v1/chat/completions")
    }
    assert schemas == {"story", "scenes", "visual_profile"}
    assert any(isinstance(r.body["input"], list) for r in openai_provider.calls("/v1/moderations"))
    # the name is in no request but the narration: the text to speak, and the spoken audio sent
    # back for its read-along word timings (OpenAI's speech gives none)
    narration = {"/v1/audio/speech", "/v1/audio/transcriptions"}
    leaks = [r.path for r in sent if r.path not in narration and mentions_the_name(r.raw)]
    assert leaks == []
    narrated = openai_provider.calls("/v1/audio/speech")
    assert len(narrated) == len(LANGUAGES) + 1
    assert all(mentions_the_name(r.raw) for r in narrated)
    # the text to speak and how, nothing about the family
    assert {frozenset(r.body) for r in narrated} == {
        frozenset({"model", "voice", "input", "response_format", "instructions"})
    }
    # while every story the family keeps names the hero, title and text
    for story in Story.objects.all():
        assert NAME in story.title and NAME in story.content, story.language
        for picture in story.illustrations.all():
            assert picture.generation_status == "completed"
    assert edited["story"]["content"].startswith(f"{NAME} dreams")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Max' sanfte Reise"),
        ("fr", "Le doux voyage d'Inès"),
    ],
)
def test_a_story_written_about_the_placeholder_reads_naturally_once_stored(
    openai_provider, auth_client, user, language, expected
):
    from tests.heroes.factories import HeroFactory

    name = expected.split()[0].rstrip("'") if language == "de" else "Inès"
    hero = HeroFactory(user=user, name=name)
    openai_provider.story = {
        "title": {"de": "Tavis sanfte Reise", "fr": "Le doux voyage de Tavi"}[language],
        "content": "Tavi schlief ein." if language == "de" else "Tavi s'endormit.",
    }

    response = auth_client.post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "language": language, "generateAudio": False},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["story"]["title"] == expected
    (story_call,) = [
        r
        for r in openai_provider.calls("/v1/chat/completions")
        if r.body["response_format"]["json_schema"]["name"] == "story"
    ]
    assert name.encode() not in story_call.raw
    assert '"name": "Tavi"' in story_call.body["messages"][1]["content"]


def test_narrated_by_elevenlabs_the_name_goes_only_in_the_text_to_speak(
    openai_provider, elevenlabs_provider, auth_client, django_capture_on_commit_callbacks
):
    hero = auth_client.post(
        "/api/heroes",
        {"name": NAME, "age": 6, "traits": ["brave"], "appearance": "curly red hair"},
        format="json",
    ).json()["hero"]

    with django_capture_on_commit_callbacks(execute=True):
        created = auth_client.post(
            "/api/stories", {"heroId": hero["id"], "eventType": "bedtime"}, format="json"
        )

    assert created.status_code == 201, created.json()
    spoken = elevenlabs_provider.requests
    assert spoken and all(mentions_the_name(r.raw) for r in spoken)
    # the text and how to say it; nothing that identifies the family
    assert {frozenset(r.body) - {"voice_settings", "seed"} for r in spoken} <= {
        frozenset({"text", "model_id"})
    }
    assert not any(mentions_the_name(r.raw) for r in openai_provider.requests)
    story = Story.objects.get(pk=created.json()["story"]["id"])
    assert story.audio_generated and NAME in story.content


def test_a_brother_or_sisters_name_reaches_no_vendor(openai_provider, auth_client, user, settings):
    from tests.heroes.factories import HeroFactory

    # given a family with a hero named like the child, and the child's brother as a new hero
    settings.RATE_LIMITS = "avatar_generation=100/h"
    HeroFactory(user=user, name=NAME)
    brother = auth_client.post(
        "/api/heroes",
        {"name": "Bartholomew", "age": 8, "traits": ["brave"], "appearance": f"{NAME}'s brother"},
        format="json",
    )
    assert brother.status_code == 201, brother.json()
    brother_id = brother.json()["hero"]["id"]

    # when his avatar and a story of his are asked for, naming his sister
    avatar = auth_client.post(
        f"/api/heroes/{brother_id}/avatar",
        {"customPrompt": f"with his sister {NAME}"},
        format="json",
    )
    story = auth_client.post(
        "/api/stories",
        {"heroId": brother_id, "eventType": "bedtime", "generateAudio": False},
        format="json",
    )

    # then no request carried her name but the narration's (none here): not moderation, the
    # avatar's picture prompt, its visual profile or the story's prompt
    assert (avatar.status_code, story.status_code) == (200, 201)
    sent = openai_provider.requests
    assert len(openai_provider.calls("/v1/moderations")) >= 3
    assert {r.path for r in sent} >= {"/v1/images/generations", "/v1/chat/completions"}
    assert [r.path for r in sent if mentions_the_name(r.raw)] == []


@pytest.mark.parametrize("then", ["renamed", "deleted"])
def test_the_name_a_story_was_written_with_stays_hidden_after_its_hero_changes(
    openai_provider, auth_client, user, settings, django_capture_on_commit_callbacks, then
):
    # given a story written for the child's hero, which the family then renames or deletes
    settings.RATE_LIMITS = "illustration_generation=100/h"
    user.subscription_tier = "premium"
    user.save(update_fields=["subscription_tier"])
    hero = auth_client.post(
        "/api/heroes",
        {"name": NAME, "age": 6, "traits": ["brave"], "appearance": "curly red hair"},
        format="json",
    ).json()["hero"]
    story = auth_client.post(
        "/api/stories",
        {"heroId": hero["id"], "eventType": "bedtime", "generateAudio": False},
        format="json",
    ).json()["story"]
    assert NAME in story["content"]
    if then == "renamed":
        auth_client.patch(f"/api/heroes/{hero['id']}", {"name": "Bea"}, format="json")
    else:
        auth_client.delete(f"/api/heroes/{hero['id']}")
    before = len(openai_provider.requests)

    # when pictures are drawn for the story and its text is edited
    with django_capture_on_commit_callbacks(execute=True):
        pictures = auth_client.post(
            f"/api/stories/{story['id']}/illustrations", {"count": 2}, format="json"
        )
    edit = auth_client.patch(
        f"/api/stories/{story['id']}", {"content": f"{NAME} sleeps under the stars."}, format="json"
    )

    # then the old name went to no vendor: not the scenes, the pictures or the moderation
    assert (pictures.status_code, edit.status_code) == (202, 200)
    sent = openai_provider.requests[before:]
    assert {r.path for r in sent} >= {"/v1/chat/completions", "/v1/images/generations"}
    assert [r.path for r in sent if mentions_the_name(r.raw)] == []
