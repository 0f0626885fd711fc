"""Cursor pagination for every list: stable under inserts, no page count to compute."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """A bad `page_size` or `cursor` is a 400 naming it (DRF would quietly use the default size and
    answer a bad cursor with 404)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request):
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        if not given.isdigit() or not 1 <= int(given) <= self.max_page_size:
            message = _("A page holds 1 to %(n)d items.") % {"n": self.max_page_size}
            raise ValidationError({"page_size": [message]})
        return int(given)

    def decode_cursor(self, request):
        refusal = ValidationError({"cursor": [_("Use the cursor of a `next` or `previous` link.")]})
        if request.query_params.get(self.cursor_query_param) == "":
            raise refusal
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise refusal from None


class OldestFirst(NewestFirst):
    """Queues: the oldest waiting first, as the pages show them."""

    ordering = "id"


class ByDay(NewestFirst):
    """A unit's daily figures, in date order."""

    ordering = "day"
