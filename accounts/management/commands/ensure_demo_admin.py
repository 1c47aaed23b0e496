from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

EMAIL = "admin@example.com"
PASSWORD = "Admin12345"  # noqa: S105 - a local, DEBUG-only account printed to the developer


class Command(BaseCommand):
    help = "Create the local staff account admin@example.com (DEBUG only) so /admin/ works at once."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing: ensure_demo_admin is for local development (DJANGO_DEBUG on)."
            )
        if not User.objects.filter(email=EMAIL).exists():
            User.objects.create_superuser(email=EMAIL, password=PASSWORD, name="Local admin")
        self.stdout.write(f"Admin: /admin/ on this server, e-mail {EMAIL}  password {PASSWORD}")
