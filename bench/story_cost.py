"""What one avatar and one fully illustrated story (story, narration, three pictures) cost with the
default models, priced by the price table, from a run of `demo_story` against the fake OpenAI
server (tests/fakes/openai_server.py: the real SDK, realistic token counts). Once per plan.

Run: `.venv/bin/python bench/story_cost.py` (SQLite in a temporary folder; nothing else needed).
"""

import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTS = [
    ("story text (write + moderate)", {"story_generation", "moderation"}),
    ("narration", {"audio_synthesis"}),
    ("three pictures (scenes + drawing)", {"scene_extraction", "image_generation"}),
]


def main() -> None:
    folder = tempfile.mkdtemp(prefix="story-cost-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{folder}/cost.sqlite3",
            "MEDIA_ROOT": f"{folder}/media",
            "AI_PROVIDER": "openai",
            "OPENAI_API_KEY": "sk-fake",
            "AI_MAX_RETRIES": "0",
            "LOG_LEVEL": "WARNING",
            # one demo family makes both runs within the hour
            "RATE_LIMITS": "illustration_generation=100/h,avatar_generation=100/h",
        }
    )
    os.environ.pop("REDIS_URL", None)
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI().start()
    # A story of the length the prompt asks for (about 600 words, ~3,300 characters to narrate).
    fake.story_paragraphs = 15
    os.environ["OPENAI_BASE_URL"] = fake.base_url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Sum

    from stories.models import Story
    from usage.models import UsageMetric

    call_command("migrate", verbosity=0)
    print("| plan | avatar | story text | narration | three pictures | illustrated story |")
    print("|---|---|---|---|---|---|")
    for plan in ("free", "premium"):
        UsageMetric.objects.all().delete()
        call_command("demo_story", plan=plan, stdout=open(os.devnull, "w"))  # noqa: SIM115
        story = Story.objects.latest("created_at")
        rows = UsageMetric.objects.filter(story_id=story.pk)
        parts = [
            rows.filter(operation__in=operations).aggregate(total=Sum("cost"))["total"]
            or Decimal(0)
            for _, operations in PARTS
        ]
        avatar = UsageMetric.objects.filter(story_id="").aggregate(total=Sum("cost"))["total"]
        cells = " | ".join(f"${value:.4f}" for value in [avatar, *parts, sum(parts)])
        print(f"| {plan} | {cells} |")
    fake.stop()


if __name__ == "__main__":
    main()
