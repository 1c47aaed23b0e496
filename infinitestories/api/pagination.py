"""Limit/offset pagination answering {"<items>": [...], "pagination": {"total", "limit", "offset"}}."""

from django.db.models import QuerySet
from rest_framework import serializers

from .inputs import validated


class PageInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)
    # Far past any real list, and inside the database's integer range.
    offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)


def page_bounds(params: dict) -> tuple[int, int]:
    """The page's limit and offset from the query; bad ones answer 400."""
    page = validated(PageInputSerializer, params)
    return page["limit"], page["offset"]


def paginate(queryset: QuerySet, params: dict) -> tuple[list, dict]:
    """Return one page of the queryset and its pagination block; bad limit/offset answer 400."""
    limit, offset = page_bounds(params)
    rows = list(queryset[offset : offset + limit])
    # A page that is not full ends the list: its total is known without a COUNT.
    ends_list = len(rows) < limit and (rows or offset == 0)
    total = offset + len(rows) if ends_list else queryset.count()
    return rows, {"total": total, "limit": limit, "offset": offset}
