"""CostReservation becomes the record of paid AI work: its units, the plan's picture choices, a
state (admitted -> running -> settled | released) with its times, a request's lease and a stop
asked from outside. Reservations already ended are settled; those still held are running (their
job or request was under way)."""

from django.db import migrations, models


def states(apps, schema_editor):
    Work = apps.get_model("usage", "CostReservation")
    Work.objects.filter(ended_at__isnull=False).update(state="settled")
    Work.objects.filter(ended_at__isnull=True).update(state="running")


class Migration(migrations.Migration):
    dependencies = [("usage", "0011_seed_retention_and_deletion_jobs")]

    operations = [
        migrations.RenameField("costreservation", "settled_at", "ended_at"),
        migrations.AlterModelOptions(
            name="costreservation",
            options={"verbose_name": "AI work", "verbose_name_plural": "AI work"},
        ),
        migrations.AlterField(
            model_name="costreservation",
            name="amount",
            field=models.DecimalField(
                decimal_places=6, max_digits=12, verbose_name="estimated cost (USD)"
            ),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="units",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="image_quality",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="image_size",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="state",
            field=models.CharField(
                choices=[
                    ("admitted", "Admitted"),
                    ("running", "Running"),
                    ("settled", "Settled"),
                    ("released", "Released"),
                ],
                db_index=True,
                default="admitted",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="stop_reason",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="costreservation",
            name="stop_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(states, migrations.RunPython.noop),
    ]
