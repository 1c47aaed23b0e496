"""Helpers shared by the apps' services."""

import copy
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import models
from django.utils import timezone

from infinitestories.api.errors import NotFoundError

M = TypeVar("M", bound=models.Model)


def model_update(
    *,
    instance: M,
    fields: Iterable[str],
    data: dict,
    check: Callable[[M], None] | None = None,
) -> M:
    """Write those of `fields` present in `data` (and updated_at) in one UPDATE.

    Services name the fields a client may edit, so a key outside them is never written. `check`
    sees a copy of the instance as it would become, before anything is written (moderation of
    the edited text raises there). A row deleted meanwhile by another request is a 404, never a
    half-applied write.
    """
    changed = {name: data[name] for name in fields if name in data}
    if not changed:
        return instance
    if check is not None:
        edited = copy.copy(instance)
        for name, value in changed.items():
            setattr(edited, name, value)
        check(edited)
    changed["updated_at"] = timezone.now()
    if not type(instance)._default_manager.filter(pk=instance.pk).update(**changed):
        raise NotFoundError()
    for name, value in changed.items():
        setattr(instance, name, value)
    return instance


def fit_to_columns(*, model: type[models.Model], values: dict) -> dict:
    """`values` with each text cut to what its column holds (a CharField's max_length): for text
    we did not write ourselves, such as a model's answer, which PostgreSQL would refuse whole."""
    fitted = dict(values)
    for name, value in values.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit and isinstance(value, str):
            fitted[name] = value[:limit]
    return fitted
