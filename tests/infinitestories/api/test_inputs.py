"""A read sent without a query validates to its defaults without a serializer each time, and
answers exactly as before: the same defaults, the same 400 for a bad value."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from infinitestories.api.inputs import validated
from infinitestories.api.pagination import PageInputSerializer


def test_an_empty_input_gives_the_defaults_every_time_and_cannot_be_spoiled():
    first = validated(PageInputSerializer, {})
    first["limit"] = 1

    assert validated(PageInputSerializer, {}) == {"limit": 50, "offset": 0}


def test_a_bad_value_is_still_refused_after_the_defaults_were_kept():
    validated(PageInputSerializer, {})

    try:
        validated(PageInputSerializer, {"limit": "0"})
    except ValidationError as refused:
        assert "limit" in refused.detail
    else:
        raise AssertionError("limit=0 was accepted")


def test_a_default_that_changes_is_worked_out_each_time():
    counter = iter(range(100))

    class Ticking(serializers.Serializer):
        n = serializers.IntegerField(default=lambda: next(counter))

    assert validated(Ticking, {})["n"] != validated(Ticking, {})["n"]


def test_lists_without_a_query_page_as_before(auth_client):
    body = auth_client.get("/api/stories").json()

    assert body["pagination"] == {"total": 0, "limit": 50, "offset": 0}
    assert auth_client.get("/api/stories?limit=0").status_code == 400
