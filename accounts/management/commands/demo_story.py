"""Run the whole generation flow once and say where everything went.

On the embedded default (no env): SQLite, in-process tasks, local files, the offline AI provider.
With OPENAI_API_KEY / R2_* / REDIS_URL set it uses those instead (with REDIS_URL, run a worker).
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import consent_to_current_policy
from heroes.models import Hero
from heroes.services import hero_avatar_generate
from media.selectors import media_url
from stories.models import GenerationJob, Story
from stories.selectors import narration_timings
from stories.services.stories import story_create
from usage.models import AccountStanding, Plan, StoryQuota

DEMO_EMAIL = "demo-parent@example.com"


class Command(BaseCommand):
    help = "Make a demo user, hero, avatar, story, narration and three illustrations; print where they are."

    def add_arguments(self, parser):
        parser.add_argument("--language", default="en", choices=["en", "es", "fr", "de", "it"])
        parser.add_argument("--event", default="bedtime")
        parser.add_argument(
            "--plan", default="free", help="the plan the demo family is on (its picture quality)"
        )

    def handle(self, *args, language: str, event: str, plan: str, **options):
        User = get_user_model()
        user, _ = User.objects.get_or_create(email=DEMO_EMAIL, defaults={"name": "Demo Parent"})
        AccountStanding.objects.update_or_create(
            user=user, defaults={"plan": Plan.objects.filter(code=plan).first()}
        )
        # The demo never runs out of stories (its plan's cost ceilings still apply); whoever runs
        # it stands as the consenting parent.
        StoryQuota.objects.update_or_create(user=user, defaults={"stories_used": 0})
        consent_to_current_policy(
            user=user, app_version="demo_story", user_agent="manage.py demo_story"
        )
        user.refresh_from_db()
        hero, _ = Hero.objects.get_or_create(
            user=user,
            name="Luna",
            defaults={
                "age": 6,
                "traits": ["curious", "kind"],
                "appearance": "curly red hair, green eyes, a yellow raincoat",
                "abilities": ["talking to animals"],
            },
        )
        self.stdout.write(
            f"AI provider: {settings.AI_PROVIDER}; user {user.email}; hero {hero.name}"
        )
        hero = hero_avatar_generate(user=user, hero=hero)
        self.stdout.write("Avatar: " + self._where(hero.avatar_key))
        self.stdout.write(f"Visual profile: {hero.visual_profile.canonical_prompt}")

        # Enqueued tasks run in-process on the embedded default, right after the commit.
        with transaction.atomic():
            story, _jobs = story_create(
                user=user,
                hero=hero,
                language=language,
                event_type=event,
                generate_audio=True,
                generate_illustrations=True,
                illustration_count=3,
            )
        story = Story.objects.get(pk=story.pk)
        self.stdout.write(self.style.SUCCESS(f"\n{story.title}\n"))
        self.stdout.write(story.content + "\n")
        for job in GenerationJob.objects.filter(story=story):
            self.stdout.write(f"Job {job.kind}: {job.status} ({job.progress}%) {job.error_message}")
        if story.audio_generated:
            self.stdout.write(
                f"Narration ({story.audio_duration:.1f} s, voice {story.voice_type}): "
                + self._where(story.audio_key)
            )
            timings = narration_timings(story=story)
            self.stdout.write(
                f"Read-along: {len(timings.words)} words ({timings.source}), "
                f"GET /api/stories/{story.pk}/audio/timings"
            )
        else:
            self.stdout.write("Narration: queued (start a worker: make worker)")
        for illustration in story.illustrations.order_by("display_order"):
            self.stdout.write(
                f"Illustration {illustration.display_order + 1} at {illustration.timestamp:.1f} s "
                f"[{illustration.generation_status}]: {self._where(illustration.image_key)}"
            )
        self.stdout.write(f"\nStory id: {story.pk}")

    def _where(self, key: str) -> str:
        if not key:
            return "(not yet)"
        if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
            return str(Path(settings.MEDIA_ROOT) / key)
        return media_url(key=key) or key
