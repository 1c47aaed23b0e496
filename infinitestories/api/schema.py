"""OpenAPI pieces every endpoint's `@extend_schema` shares: the error envelope, query parameters,
named enums.

Serializers stay snake_case: the camelCase postprocessing hook renames schema properties. Query
parameters are not covered by that hook (there is no camelCase middleware; `query_input`
converts names by hand), so `camel_query` documents them under their camelCase names.
"""

import copy

from django.core.validators import RegexValidator
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from drf_spectacular import openapi
from drf_spectacular.plumbing import get_class
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from .pagination import PageInputSerializer

# What a request's text may hold: PostgreSQL cannot store NUL (U+0000), so every text field
# refuses it (400); a field that may not be blank must also hold more than whitespace, which is
# trimmed. ECMA-262 patterns, as OpenAPI's are, read the same by Python's `re`. The whitespace is
# Python's (str.isspace, what DRF trims), named one by one: ECMA's \s is not the same set.
NO_NUL = r"^[^\x00]*$"
_SPACE = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"


class AutoSchema(openapi.AutoSchema):
    """Operation texts come only from `@extend_schema(summary=..., description=...)`, written for
    the app's developers: a view's docstring is written for us and never reaches the schema.

    Request text fields say what the server accepts: at least one character (after trimming
    whitespace) unless blank is allowed, and no NUL. A list field that refuses repeats says
    `uniqueItems`.
    """

    def get_description(self) -> str:
        return ""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if getattr(field, "unique_items", False):
            schema["uniqueItems"] = True
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"enum", "format", "pattern"} & schema.keys()
            # A field's own pattern (RegexField) is added after this: it says what it accepts.
            and not any(isinstance(check, RegexValidator) for check in field.validators)
        ):
            if field.allow_blank:
                schema["pattern"] = NO_NUL
            else:
                schema["minLength"] = max(schema.get("minLength", 0), 1)
                schema["pattern"] = NOT_BLANK if field.trim_whitespace else NO_NUL
        return schema


def serializer_rules(result, generator, request, public):
    """Postprocessing hook (after the enum and camelCase ones): adds each request serializer's
    `schema_rules()` to its component. They state rules across its fields (one of two fields
    required, a list as long as a count, types allowed per category) or values fixed at run time
    (the current policy version), that its fields alone cannot state.

    `schema_rules()` answers JSON Schema keywords naming fields as the serializer does
    (snake_case, camelCased here); its `properties` are merged into the fields' own.
    """
    for (_, kind), component in generator.registry._components.items():
        serializer = get_class(component.object) if kind == "schemas" else None
        if not hasattr(serializer, "schema_rules"):
            continue
        rules = _camel_names(serializer.schema_rules())
        properties = component.schema.setdefault("properties", {})
        for name, keywords in rules.pop("properties", {}).items():
            properties[name] = {**properties.get(name, {}), **keywords}
        component.schema.update(rules)
    return result


def _camel_names(schema):
    if isinstance(schema, list):
        return [_camel_names(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    renamed = {key: _camel_names(value) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict):
        renamed["properties"] = {
            _camel(name): _camel_names(value) for name, value in schema["properties"].items()
        }
    if isinstance(schema.get("required"), list):
        renamed["required"] = [_camel(name) for name in schema["required"]]
    return renamed


class ErrorSerializer(serializers.Serializer):
    """The one error shape (infinitestories.api.errors.error_body)."""

    error = serializers.CharField(
        help_text="A message for people, in the user's preferredLanguage (signed in) or the best "
        "match of Accept-Language (en, es, fr, de, it); Content-Language names it."
    )
    code = serializers.CharField(
        help_text="A machine code to switch on, the same in every language, e.g. "
        "VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND, RATE_LIMITED, QUOTA_EXCEEDED."
    )
    details = serializers.DictField(
        help_text="Per-field messages for VALIDATION_ERROR, other context for some codes; "
        "otherwise empty."
    )


_ERROR_DESCRIPTIONS = {
    400: "Invalid request: VALIDATION_ERROR (details has a message per field) or MALFORMED_JSON.",
    401: "UNAUTHORIZED: no bearer token, or an expired or revoked one.",
    403: "FORBIDDEN; on AI work also CONSENT_REQUIRED (no parent's consent to the current "
    "policy), ACCOUNT_BLOCKED, or NOT_IN_PLAN (details.feature).",
    404: "NOT_FOUND: no such object, or it belongs to another user; AUDIO_NOT_GENERATED for "
    "read-along timings of a story whose current text is not narrated yet.",
    409: "The request conflicts with the state of things: REQUEST_IN_PROGRESS (Retry-After), "
    "EMAIL_TAKEN, UPLOAD_MISSING, UPLOAD_ALREADY_USED or SHARE_LIMIT_REACHED (details.limit).",
    413: "PAYLOAD_TOO_LARGE.",
    415: "UNSUPPORTED_MEDIA_TYPE.",
    422: "The request cannot be processed as sent.",
    429: "RATE_LIMITED or QUOTA_EXCEEDED (details.limit names it; Retry-After header).",
    502: "AI_FAILED: the AI provider failed.",
    503: "AI_UNAVAILABLE, AI_DISABLED, FEATURE_DISABLED, AI_BUDGET_EXHAUSTED or MAINTENANCE: "
    "retry later.",
}


def error_responses(*statuses: int, authenticated: bool = True) -> dict[int, OpenApiResponse]:
    """The error envelope for the given statuses; a signed-in endpoint adds 401 and 429.

    Use as `responses={200: OutputSerializer, **error_responses(400, 404)}`.
    """
    codes = set(statuses) | ({401, 429} if authenticated else set())
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(code, ""))
        for code in sorted(codes)
    }


def _camel(name: str) -> str:
    return camelize_re.sub(underscore_to_camel, name) if "_" in name else name


_camel_query_cache: dict[tuple[type[serializers.Serializer], ...], type] = {}


def camel_query(*serializer_classes: type[serializers.Serializer]) -> type:
    """A serializer for `parameters=[...]` with the given query serializers' fields, camelCased.

    The URL carries `?sortOrder=asc&includeStories=true`; `query_input` underscoreizes them.
    """
    key = tuple(serializer_classes)
    if key not in _camel_query_cache:
        fields = {}
        for serializer_class in serializer_classes:
            for name, field in serializer_class._declared_fields.items():
                fields[_camel(name)] = copy.deepcopy(field)
        name = "".join(cls.__name__.removesuffix("Serializer") for cls in key) + "QuerySerializer"
        _camel_query_cache[key] = type(name, (serializers.Serializer,), fields)
    return _camel_query_cache[key]


def paged_query(*serializer_classes: type[serializers.Serializer]) -> type:
    """Query parameters of a paginated list: its own (camelCased) plus `limit` and `offset`."""
    return camel_query(*serializer_classes, PageInputSerializer)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class StringListJSONField(serializers.JSONField):
    """A model JSONField that holds a list of strings (traits, keywords), documented as one.

    Declared on output serializers only; it answers exactly what the auto-built JSONField would.
    """


class PaginationSerializer(serializers.Serializer):
    """The `pagination` block of a list answer (infinitestories.api.pagination.paginate)."""

    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class DetailSerializer(serializers.Serializer):
    """`{"detail": "..."}`: what the password reset and e-mail verification endpoints answer."""

    detail = serializers.CharField(help_text="A message for people.")


class SuccessSerializer(serializers.Serializer):
    """`{"success": true}`: what a delete or logout answers."""

    success = serializers.BooleanField()


def named_choice_field(component_name: str, choices) -> type[serializers.ChoiceField]:
    """A ChoiceField class (same runtime behaviour) documented as the enum component
    `component_name`.

    The enum postprocessing hook names an enum after its property, so one choice set under two
    property names (`language`, `preferredLanguage`), or one property name with two choice sets
    (`status`), would get clashing or duplicate names. A field of this class is a `$ref` to its
    own named component, which the hook leaves alone. Create the class once and use it for every
    field holding that choice set (another class, or the hook, giving the same name warns).
    """

    @extend_schema_field(serializers.ChoiceField(choices=choices), component_name=component_name)
    class NamedChoiceField(serializers.ChoiceField):
        pass

    NamedChoiceField.__name__ = NamedChoiceField.__qualname__ = f"{component_name}Field"
    return NamedChoiceField


def not_modified_response() -> dict[int, OpenApiResponse]:
    """A read answering conditional GETs: its 200 carries an ETag; If-None-Match naming it is 304
    with no body (infinitestories/api/conditional.py)."""
    return {
        304: OpenApiResponse(
            description="Not modified: the If-None-Match header named this answer's ETag. No body."
        )
    }
