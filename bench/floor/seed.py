"""Migrates the floor's database and prints one user's token."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "floor_settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

call_command("migrate", verbosity=0)
user, _ = User.objects.get_or_create(username="floor", defaults={"email": "floor@example.com"})
print(Token.objects.get_or_create(user=user)[0].key)
