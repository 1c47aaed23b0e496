from io import StringIO

from django.core.management import call_command

from stories.models import Story, StoryIllustration


def test_demo_story_runs_the_whole_flow_offline(django_capture_on_commit_callbacks):
    out = StringIO()
    # The test's transaction holds the on-commit enqueues until the capture block ends; a real
    # run (tasks in-process on commit) prints the finished narration and pictures.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_story", stdout=out)

    text = out.getvalue()
    story = Story.objects.get()
    assert story.title in text and story.content in text
    assert story.hero.avatar_key in text
    story.refresh_from_db()
    assert story.audio_generated
    assert StoryIllustration.objects.filter(story=story, generation_status="completed").count() == 3
