"""Register an authenticator app for a staff member (the admin asks for its codes, ADMIN_2FA)."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User, normalize_email


class Command(BaseCommand):
    help = (
        "Register a TOTP device for a staff member and print its otpauth:// link: open it, or "
        "type its secret, in an authenticator app. Staff may add more devices from the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="authenticator app")

    def handle(self, *args, email: str, name: str, **options):
        user = User.objects.filter(email=normalize_email(email), is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account has the e-mail {email}.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)
