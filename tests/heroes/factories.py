import factory

from heroes.models import Hero, HeroVisualProfile
from tests.accounts.factories import UserFactory


class HeroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hero

    user = factory.SubFactory(UserFactory)
    name = factory.Iterator(["Alice", "Bob", "Luna", "Milo"])
    age = 7
    traits = factory.LazyFunction(lambda: ["brave", "kind"])
    appearance = "Curly blonde hair, blue eyes"
    abilities = factory.LazyFunction(lambda: ["magic"])


class HeroVisualProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HeroVisualProfile

    hero = factory.SubFactory(HeroFactory)
    hair_color = "blonde"
    hair_style = "curly"
    eye_color = "blue"
    skin_tone = "light"
    clothing_style = "wizard robes"
    art_style = "watercolor"
    color_palette = factory.LazyFunction(lambda: ["sky blue", "gold"])
    canonical_prompt = "A 7-year-old girl with curly blonde hair and blue eyes, watercolor"
    simplified_prompt = "girl, curly blonde hair, blue eyes"
