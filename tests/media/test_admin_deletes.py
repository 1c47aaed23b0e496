"""Staff deletes in the admin remove the files too, as the API's deletes do."""

from media import selectors
from media.models import FileUpload
from stories.models import Story, StoryIllustration
from tests.accounts.factories import UserFactory
from tests.helpers import saved_file
from tests.heroes.factories import HeroFactory
from tests.stories.factories import StoryFactory, StoryIllustrationFactory


def delete_selected(browser, changelist: str, pks: list[str]):
    return browser.post(
        changelist, {"action": "delete_selected", "_selected_action": pks, "post": "yes"}
    )


def test_deleting_a_user_in_the_admin_removes_their_files(
    staff_browser, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    avatar, audio = saved_file("avatar", "png"), saved_file("audio", "mp3")
    StoryFactory(user=owner, hero=HeroFactory(user=owner, avatar_key=avatar), audio_key=audio)

    with django_capture_on_commit_callbacks(execute=True):
        delete_selected(staff_browser, "/admin/accounts/user/", [owner.pk])

    assert not Story.objects.filter(user=owner).exists()
    assert not selectors.media_exists(key=avatar)
    assert not selectors.media_exists(key=audio)


def test_deleting_illustrations_in_the_admin_removes_files_and_closes_the_order(
    staff_browser, django_capture_on_commit_callbacks
):
    story = StoryFactory()
    first, second, third = (
        StoryIllustrationFactory(
            story=story, display_order=n, image_key=saved_file("illustration", "png")
        )
        for n in range(3)
    )

    with django_capture_on_commit_callbacks(execute=True):
        delete_selected(staff_browser, "/admin/stories/storyillustration/", [second.pk])

    assert not selectors.media_exists(key=second.image_key)
    assert selectors.media_exists(key=first.image_key)
    assert list(
        StoryIllustration.objects.filter(story=story).values_list("pk", "display_order")
    ) == [(first.pk, 0), (third.pk, 1)]


def test_deleting_an_upload_in_the_admin_removes_its_object(
    staff_browser, django_capture_on_commit_callbacks
):
    key = saved_file("avatar", "png")
    upload = FileUpload.objects.create(
        user=UserFactory(),
        file_name="a.png",
        file_size=5,
        mime_type="image/png",
        storage_key=key,
        category="avatar",
    )

    with django_capture_on_commit_callbacks(execute=True):
        delete_selected(staff_browser, "/admin/media/fileupload/", [upload.pk])

    assert not FileUpload.objects.exists()
    assert not selectors.media_exists(key=key)
