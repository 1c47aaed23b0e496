"""Clean the pictures stored before pictures were cleaned on the way in (once, after deploying).

Avatars uploaded from a phone may carry where the photo was taken (EXIF GPS); generated pictures
may carry the vendor's metadata. Each stored avatar and illustration that carries any is saved
again with nothing but its pixels, its row pointed at the clean copy, and the old file deleted.
Pictures already clean are left untouched, so running it again changes nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from heroes.models import Hero
from media.services import media_delete_on_commit, picture_restore_clean
from stories.models import StoryIllustration


class Command(BaseCommand):
    help = "Save every stored avatar and illustration that carries metadata again without it."

    def handle(self, *args, **options):
        cleaned = 0
        rows = [
            *((hero, "avatar_key", "avatar") for hero in Hero.objects.exclude(avatar_key="")),
            *(
                (picture, "image_key", "illustration")
                for picture in StoryIllustration.objects.exclude(image_key="")
            ),
        ]
        for row, field, category in rows:
            old = getattr(row, field)
            new = picture_restore_clean(key=old, category=category)
            if new is None:
                continue
            with transaction.atomic():
                # The row may have moved on meanwhile: swap only if it still shows the old file.
                swapped = type(row).objects.filter(pk=row.pk, **{field: old}).update(**{field: new})
                media_delete_on_commit(keys=[old if swapped else new])
            cleaned += bool(swapped)
        self.stdout.write(f"Cleaned {cleaned} stored picture(s).")
