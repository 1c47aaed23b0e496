import factory

from stories.models import CustomStoryEvent, GenerationJob, Story, StoryIllustration
from tests.accounts.factories import UserFactory
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
