"""GenerationJob.params (an untyped JSON bag) becomes typed fields: the job's AI work (usage), the
narration's voice, file, length and text hash; each illustration points at its job, with the word
its scene starts at and whether its timestamp was given by the request."""

from django.db import migrations, models
from django.db.models import deletion


def params_to_fields(apps, schema_editor):
    Job = apps.get_model("stories", "GenerationJob")
    Illustration = apps.get_model("stories", "StoryIllustration")
    Work = apps.get_model("usage", "CostReservation")
    taken = set(Job.objects.exclude(ai_work=None).values_list("ai_work_id", flat=True))
    for job in Job.objects.exclude(params={}).iterator():
        params = job.params or {}
        reservation = params.get("reservation_id") or ""
        if reservation and reservation not in taken and Work.objects.filter(pk=reservation).exists():
            job.ai_work_id = reservation
            taken.add(reservation)
        job.voice = (params.get("voice") or "")[:20]
        job.output_key = params.get("output_key") or ""
        job.output_duration = params.get("duration")
        job.text_hash = params.get("content_hash") or ""
        job.save(update_fields=["ai_work", "voice", "output_key", "output_duration", "text_hash"])
        if reservation and (params.get("image_quality") or params.get("image_size")):
            Work.objects.filter(pk=reservation, image_quality="", image_size="").update(
                image_quality=params.get("image_quality") or "",
                image_size=params.get("image_size") or "",
            )
        positions = params.get("positions") or {}
        given = params.get("timestamps") or []
        for index, pk in enumerate(params.get("illustration_ids") or []):
            changes = {"job_id": job.pk, "word_index": positions.get(pk)}
            if index < len(given):
                changes |= {"timestamp_given": True, "timestamp": float(given[index])}
            Illustration.objects.filter(pk=pk).update(**changes)


def fields_to_params(apps, schema_editor):
    Job = apps.get_model("stories", "GenerationJob")
    Illustration = apps.get_model("stories", "StoryIllustration")
    for job in Job.objects.iterator():
        params = {}
        if job.ai_work_id:
            params["reservation_id"] = job.ai_work_id
            work = job.ai_work
            params |= {"image_quality": work.image_quality, "image_size": work.image_size}
        if job.voice:
            params["voice"] = job.voice
        if job.output_key:
            params |= {
                "output_key": job.output_key,
                "duration": job.output_duration,
                "content_hash": job.text_hash,
            }
        rows = list(Illustration.objects.filter(job_id=job.pk).order_by("display_order"))
        if rows or job.kind == "illustrations":
            params["illustration_ids"] = [row.pk for row in rows]
            positions = {row.pk: row.word_index for row in rows if row.word_index is not None}
            if positions:
                params["positions"] = positions
            if any(row.timestamp_given for row in rows):
                params["timestamps"] = [row.timestamp for row in rows if row.timestamp_given]
        job.params = params
        job.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0007_background_story_jobs"),
        ("usage", "0012_ai_work_lifecycle"),
    ]

    operations = [
        migrations.AddField(
            model_name="generationjob",
            name="ai_work",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=deletion.SET_NULL,
                related_name="job",
                to="usage.costreservation",
            ),
        ),
        migrations.AddField(
            model_name="generationjob",
            name="voice",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="generationjob",
            name="output_key",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="generationjob",
            name="output_duration",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="generationjob",
            name="text_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="storyillustration",
            name="job",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=deletion.SET_NULL,
                related_name="illustrations",
                to="stories.generationjob",
            ),
        ),
        migrations.AddField(
            model_name="storyillustration",
            name="word_index",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="storyillustration",
            name="timestamp_given",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(params_to_fields, fields_to_params),
    ]
