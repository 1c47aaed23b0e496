"""Reads on the hottest paths as SQL written once per process from the models' own columns.

Building and compiling an ORM query costs more than running it on a trivial request (a third
of the bearer-session check, half of a short list). These helpers keep the ORM's answer: the
rows become model instances with the values the ORM would give them.
"""

import functools

from django.db import connection


def columns(model, alias: str) -> list[str]:
    """The model's concrete columns, quoted and prefixed with `alias`, in field order."""
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


@functools.cache
def _converters(model) -> tuple[list[str], list[tuple]]:
    """Each concrete field's converters: the backend's first (SQLite hands dates back as text,
    without a time zone), then the field's own, as Django's SQL compiler applies them."""
    names, converters = [], []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        names.append(field.attname)
        converters.append(
            (
                column,
                (
                    *connection.ops.get_db_converters(column),
                    *field.get_db_converters(connection),
                ),
            )
        )
    return names, converters


def instance(model, values):
    """A model instance from a row of `columns(model, …)`, as the ORM would load it."""
    names, converters = _converters(model)
    converted = []
    for value, (column, functions) in zip(values, converters, strict=True):
        for convert in functions:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def width(model) -> int:
    return len(model._meta.concrete_fields)
