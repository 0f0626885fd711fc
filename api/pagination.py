"""Cursor pagination for every list: stable under inserts, no page count to compute."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


class OldestFirst(NewestFirst):
    """Queues: the oldest waiting first, as the pages show them."""

    ordering = "id"


class ByDay(NewestFirst):
    """A unit's daily figures, in date order."""

    ordering = "day"
