"""The one JSON parser: camelCase in, and nothing the database or the renderer cannot hold."""

from django.utils.translation import gettext as _
from djangorestframework_camel_case.parser import CamelCaseJSONParser
from rest_framework import exceptions


def _unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def _check_strings(data) -> None:
    """Refuse the body naming each top-level field that holds an unstorable string anywhere.
    NUL cannot be stored in PostgreSQL text; an unpaired surrogate cannot be encoded as UTF-8."""
    bad: dict[str, str] = {}
    roots = data.items() if isinstance(data, dict) else [("non_field_errors", data)]
    for field, value in roots:
        stack = [field, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if _unstorable(item):
                    bad[field if isinstance(field, str) and not _unstorable(field) else "body"] = _(
                        "This field contains a character we cannot store (NUL or an unpaired "
                        "surrogate)."
                    )
                    break
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    if bad:
        raise exceptions.ValidationError(bad)


class JSONParser(CamelCaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None
        _check_strings(data)
        return data
