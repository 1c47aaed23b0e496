import io

import factory
from PIL import Image

from infinitestories.ai import timings
from media.services import media_save, picture_save
from stories.models import (
    CustomStoryEvent,
    GenerationJob,
    NarrationTimings,
    Story,
    StoryIllustration,
)
from stories.services import shares
from tests.accounts.factories import UserFactory
from tests.fakes.audio import speech_mp3
from tests.heroes.factories import HeroFactory


class CustomStoryEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomStoryEvent

    user = factory.SubFactory(UserFactory)
    title = "First lost tooth"
    description = "The night the tooth fairy comes"
    prompt_seed = "A story about losing a first tooth and the tooth fairy's visit"
    keywords = factory.LazyFunction(lambda: ["tooth", "fairy"])
    category = "milestone"


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Story

    user = factory.SubFactory(UserFactory)
    hero = factory.SubFactory(HeroFactory, user=factory.SelfAttribute("..user"))
    hero_name = factory.LazyAttribute(lambda story: story.hero.name if story.hero else "")
    title = factory.Sequence(lambda n: f"Bedtime adventure {n}")
    content = "Once upon a time, a brave child found a glowing star. " * 10
    language = "en"
    event_type = "bedtime"


class StoryIllustrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryIllustration

    story = factory.SubFactory(StoryFactory)
    display_order = factory.Sequence(lambda n: n)
    timestamp = factory.LazyAttribute(lambda o: 30.0 * o.display_order)
    prompt = "A child holding a glowing star, watercolor"
    generation_status = StoryIllustration.Status.COMPLETED


class GenerationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GenerationJob

    story = factory.SubFactory(StoryFactory)
    user = factory.SelfAttribute("story.user")
    kind = GenerationJob.Kind.AUDIO


# --- A narrated, illustrated story and its share link (the shared page and its browser test)
SECONDS_PER_WORD = 0.5
TITLE = "Mia and the Owl's Lantern"
PARAGRAPHS = [
    "Mia found a lantern by the old oak. It glowed like a sleepy moon.",
    "An owl called Hoot asked Mia to carry it home. Mia said yes!",
    "They walked until the stars came out, and Mia's feet were tired but happy.",
]


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


def story_narrated(*, user, hero=None, hero_name: str = "Mia") -> Story:
    """A story whose narration (a real MP3) and vendor word timings are stored: word n is spoken
    from n x 0.5 s to (n + 1) x 0.5 s, title first. Two pictures: the first at the first word of
    the text, the second when the second paragraph begins."""
    hero = hero or HeroFactory(user=user, name=hero_name, avatar_key="avatars/child-photo.png")
    story = StoryFactory(
        user=user, hero=hero, title=TITLE, content="\n\n".join(PARAGRAPHS), hero_name=hero_name
    )
    spoken = f"{story.title}.\n\n{story.content}"
    words = [
        {"text": span.text, "start": n * SECONDS_PER_WORD, "end": (n + 1) * SECONDS_PER_WORD}
        for n, span in enumerate(timings.spoken_words(spoken))
    ]
    mp3 = speech_mp3(spoken, seconds_per_word=SECONDS_PER_WORD)
    key = media_save(category="audio", content=mp3, extension="mp3", content_type="audio/mpeg")
    story.audio_key = key
    story.audio_generated = True
    story.audio_duration = len(words) * SECONDS_PER_WORD
    story.save()
    NarrationTimings.objects.create(
        story=story, audio_key=key, source=NarrationTimings.Source.VENDOR, words=words
    )
    title_words = len(timings.spoken_words(TITLE))
    second_paragraph = title_words + len(timings.spoken_words(PARAGRAPHS[0]))
    for order, (index, colour, scene) in enumerate(
        [
            (title_words, (200, 120, 40), "Mia holds a glowing lantern under an old oak."),
            (second_paragraph, (40, 80, 200), "An owl perched on a branch above a path."),
        ]
    ):
        StoryIllustrationFactory(
            story=story,
            display_order=order,
            timestamp=words[index]["start"],
            image_key=picture_save(category="illustration", content=png(colour)),
            scene_description=scene,
        )
    return story


def share_link(*, story: Story, **options) -> tuple[str, str]:
    """A share of `story`: its id and the page's path."""
    made = shares.share_create(story=story, **options)
    return made.share.pk, f"/s/{made.secret}"
