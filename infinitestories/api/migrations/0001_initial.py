"""IdempotencyRecord moves from the stories app to the API plumbing, rows kept: the model is
taken over in state only, then its table and index get this app's names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("stories", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=255)),
                        ("endpoint", models.CharField(max_length=100)),
                        ("request_hash", models.CharField(max_length=64)),
                        (
                            "response_status",
                            models.PositiveSmallIntegerField(blank=True, null=True),
                        ),
                        ("response_body", models.JSONField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "stories_idempotencyrecord",
                        "indexes": [
                            models.Index(
                                fields=["created_at"], name="stories_ide_created_f3f984_idx"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "endpoint", "key"), name="idempotency_unique_key"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="idempotencyrecord", table=None),
        migrations.RenameIndex(
            model_name="idempotencyrecord",
            new_name="idempotency_created_idx",
            old_name="stories_ide_created_f3f984_idx",
        ),
    ]
