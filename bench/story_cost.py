"""What one avatar and one fully illustrated story (story, narration with its read-along timings,
three pictures) cost with the default models, priced by the price table, from a run of
`demo_story` against the fake OpenAI server (tests/fakes/openai_server.py: the real SDK,
realistic token counts). Once per plan.

Run: `.venv/bin/python bench/story_cost.py` (`make bench`; SQLite in a temporary folder, nothing
else needed).
"""

import os
import sys
import tempfile
from decimal import Decimal

import stack

# Every operation a story's calls are metered as, in the column it is counted in (a new one
# stops the run rather than going uncounted).
PARTS = {
    "story text (write + moderate)": {"story_generation", "moderation:characters"},
    "narration (speech + read-along timings)": {"audio_synthesis", "audio_transcription"},
    "three pictures (scenes, drawing, moderation)": {
        "scene_extraction",
        "image_generation",
        "moderation:images",
    },
}


def main() -> None:
    folder = tempfile.mkdtemp(prefix="story-cost-")
    # A story of the length the prompt asks for (about 600 words, ~3,300 characters to narrate).
    fake = stack.fake_openai(story_paragraphs=15)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "infinitestories.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{folder}/cost.sqlite3",
            "MEDIA_ROOT": f"{folder}/media",
            "LOG_LEVEL": "WARNING",
            **stack.openai_settings(fake),
            # one demo family makes both runs within the hour
            "RATE_LIMITS": stack.RATE_LIMITS,
        }
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(stack.ROOT))
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
        costs: dict[str, Decimal] = {}
        for operation, unit, cost in UsageMetric.objects.filter(story_id=story.pk).values_list(
            "operation", "unit", "cost"
        ):
            name = f"{operation}:{unit}" if operation == "moderation" else operation
            part = next((part for part, names in PARTS.items() if name in names), None)
            if part is None:
                raise SystemExit(f"{name} is not counted in any column: add it to PARTS")
            costs[part] = costs.get(part, Decimal(0)) + cost
        parts = [costs.get(part, Decimal(0)) for part in PARTS]
        avatar = UsageMetric.objects.filter(story_id="").aggregate(total=Sum("cost"))["total"]
        cells = " | ".join(f"${value:.4f}" for value in [avatar, *parts, sum(parts)])
        print(f"| {plan} | {cells} |")
    fake.stop()


if __name__ == "__main__":
    main()
