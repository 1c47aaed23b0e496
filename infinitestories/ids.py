"""Opaque, non-sequential string ids: `<prefix>_<22 random base62 characters>` (about 131 bits)."""

import secrets
import string

from django.db import models

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(22))


class PublicIdField(models.CharField):
    """A primary key that says what it names (`hero_…`) and reveals nothing about row counts."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 40)
        kwargs["primary_key"] = True
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def get_default(self) -> str:
        return new_id(self.prefix)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        for key in ("primary_key", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs
