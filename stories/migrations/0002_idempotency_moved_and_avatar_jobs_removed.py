from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0001_initial"),
        # IdempotencyRecord now belongs to the API plumbing, which took its table over.
        ("api", "0001_initial"),
    ]

    operations = [
        # No avatar job was ever created (avatars are drawn in the request).
        migrations.RemoveField(
            model_name="generationjob",
            name="hero",
        ),
        migrations.AlterField(
            model_name="generationjob",
            name="kind",
            field=models.CharField(
                choices=[("audio", "Audio"), ("illustrations", "Illustrations")], max_length=20
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
