"""Helpers shared by the apps' services."""

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, fields: Iterable[str], data: dict) -> M:
    """Set those of `fields` present in `data` and save only them (and updated_at).

    Services name the fields a client may edit, so a key outside them is never written.
    """
    changed = [name for name in fields if name in data]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return instance
