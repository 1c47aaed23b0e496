"""Each story keeps the hero's name it was written with (hidden from vendors after a rename or a
deletion); stories whose hero still exists get its name now."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def hero_names_copy(apps, schema_editor):
    Story = apps.get_model("stories", "Story")
    Hero = apps.get_model("heroes", "Hero")
    Story.objects.filter(hero__isnull=False).update(
        hero_name=Subquery(Hero.objects.filter(pk=OuterRef("hero_id")).values("name")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("heroes", "0001_initial"),
        ("stories", "0003_narration_timings"),
    ]

    operations = [
        migrations.AddField(
            model_name="story",
            name="hero_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(hero_names_copy, migrations.RunPython.noop),
    ]
