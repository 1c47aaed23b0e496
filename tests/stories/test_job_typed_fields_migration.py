"""Migrations stories 0008 and 0009: what GenerationJob.params carried moves into typed fields
(the job's AI work, voice, file, length, text hash; each picture's job, scene word and given
timestamp), and back when migrated backwards."""

from datetime import date
from decimal import Decimal

import pytest

from tests.migrations import latest_but, migrate, migrate_to_latest

BEFORE, AFTER = "0007_background_story_jobs", "0009_remove_generationjob_params"


@pytest.mark.django_db(transaction=True)
def test_job_params_become_typed_fields_and_come_back():
    old = migrate(latest_but("stories", BEFORE))
    user = old.get_model("accounts", "User").objects.create(email="family@example.com")
    story = old.get_model("stories", "Story").objects.create(
        user=user, title="Night", content="One calm night."
    )
    Work = old.get_model("usage", "CostReservation")
    work = {"amount": Decimal("0.01"), "day": date(2026, 12, 1), "month": date(2026, 12, 1)}
    narration_work = Work.objects.create(user=user, operation="audio_synthesis", **work)
    pictures_work = Work.objects.create(user=user, operation="image_generation", **work)
    Job = old.get_model("stories", "GenerationJob")
    Picture = old.get_model("stories", "StoryIllustration")
    first = Picture.objects.create(story=story, display_order=0)
    second = Picture.objects.create(story=story, display_order=1)
    audio = Job.objects.create(
        user=user,
        story=story,
        kind="audio",
        params={
            "voice": "echo",
            "reservation_id": narration_work.pk,
            "output_key": "audio/abc.mp3",
            "duration": 12.5,
            "content_hash": "f" * 64,
        },
    )
    pictures = Job.objects.create(
        user=user,
        story=story,
        kind="illustrations",
        params={
            "illustration_ids": [first.pk, second.pk],
            "reservation_id": pictures_work.pk,
            "image_quality": "medium",
            "image_size": "1024x1536",
            "positions": {first.pk: 3, second.pk: 9},
            "timestamps": [1.5],
        },
    )
    lost = Job.objects.create(
        user=user, story=story, kind="audio", params={"reservation_id": "rsv_gone"}
    )
    try:
        new = migrate(latest_but("stories", AFTER))
        Job = new.get_model("stories", "GenerationJob")
        Picture = new.get_model("stories", "StoryIllustration")
        Work = new.get_model("usage", "CostReservation")

        audio = Job.objects.get(pk=audio.pk)
        assert (audio.ai_work_id, audio.voice, audio.output_key) == (
            narration_work.pk,
            "echo",
            "audio/abc.mp3",
        )
        assert (audio.output_duration, audio.text_hash) == (12.5, "f" * 64)
        assert Job.objects.get(pk=pictures.pk).ai_work_id == pictures_work.pk
        assert Job.objects.get(pk=lost.pk).ai_work_id is None
        assert (Work.objects.get(pk=pictures_work.pk).image_quality,) == ("medium",)
        rows = {
            row.pk: (row.job_id, row.word_index, row.timestamp_given, row.timestamp)
            for row in Picture.objects.all()
        }
        assert rows == {
            first.pk: (pictures.pk, 3, True, 1.5),
            second.pk: (pictures.pk, 9, False, 0.0),
        }

        back = migrate(latest_but("stories", BEFORE))
        params = back.get_model("stories", "GenerationJob").objects.get(pk=pictures.pk).params
        assert params["illustration_ids"] == [first.pk, second.pk]
        assert params["positions"] == {first.pk: 3, second.pk: 9}
        assert params["timestamps"] == [1.5]
        assert params["reservation_id"] == pictures_work.pk
        audio_params = back.get_model("stories", "GenerationJob").objects.get(pk=audio.pk).params
        assert audio_params["voice"] == "echo" and audio_params["content_hash"] == "f" * 64
    finally:
        migrate_to_latest()
