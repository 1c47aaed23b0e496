"""Request-parsing pieces every endpoint shares: strict JSON types and validated query parameters."""

import copy

from django.utils.translation import gettext_lazy
from djangorestframework_camel_case.util import underscoreize
from rest_framework import serializers

from infinitestories.languages import LANGUAGES

from .inputs import validated
from .schema import named_choice_field

# A language code. Every serializer field holding one (story language, user's preferred
# language) uses this class, so the schema has one LanguageEnum.
LanguageField = named_choice_field("LanguageEnum", LANGUAGES)

# Strict JSON fields: a wrong JSON type is a 400, never silently coerced ("7" is not an age).


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class UniqueListField(serializers.ListField):
    """A list whose items may each appear once (documented as `uniqueItems`)."""

    unique_items = True
    default_error_messages = {"repeated": gettext_lazy("Each item may appear once.")}

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        if len(set(items)) != len(items):
            self.fail("repeated")
        return items


def query_input(serializer_class: type[serializers.Serializer], request) -> dict:
    """Validate query parameters (camelCase in the URL) with `serializer_class`; bad ones are 400.

    The camelCase parser only converts bodies, so query parameter names are converted here; the
    renderer turns error details back into camelCase.
    """
    return validated(serializer_class, underscoreize(request.query_params.dict()))


class SortInputSerializer(serializers.Serializer):
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")


class FieldsOnceMixin:
    """An output serializer whose fields are worked out once per class, not per answer: a
    ModelSerializer reads its model's fields anew for each instance (a good part of a read's
    cost), where a copy of the fields it made the first time is the same and cheaper.

    A plain field is copied shallowly (it is bound to this serializer, and holds nothing else of
    an answer's); a nested serializer, or a field with a child (a list of them), deeply, as DRF
    does, so that the nested ones read this answer's context. A deep copy of every field re-ran
    each field's __init__: a tenth of a trivial request."""

    def get_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_fields_once")
        if fields is None:
            fields = super().get_fields()
            cls._fields_once = fields
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")
            else copy.copy(field)
            for name, field in fields.items()
        }
