"""Validated input, with what an empty input validates to kept per serializer."""

import copy

from rest_framework import serializers

# serializer class -> what it validates an empty input to, when that cannot change (no callable
# default): most reads send no query at all, and a serializer costs more than the read's query.
_EMPTY_INPUT: dict[type, dict] = {}


def validated(serializer_class: type[serializers.Serializer], data) -> dict:
    """`data` validated by `serializer_class` (400 when it is not valid)."""
    if not data and serializer_class in _EMPTY_INPUT:
        return copy.deepcopy(_EMPTY_INPUT[serializer_class])
    params = serializer_class(data=data)
    params.is_valid(raise_exception=True)
    if not data and not any(callable(field.default) for field in params.fields.values()):
        _EMPTY_INPUT[serializer_class] = copy.deepcopy(params.validated_data)
    return params.validated_data
