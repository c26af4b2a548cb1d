"""Cursor pagination: a page is `WHERE id < last ORDER BY id DESC LIMIT n+1`, never a COUNT."""

from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = "分页游标无效，请使用上一次响应中 next / previous 给出的地址。"


class _Cursor(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_cursor_message = INVALID_CURSOR
    # Whether the ordering field is an integer, so a forged position is refused before the query.
    numeric_position = False

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
        if cursor and self.numeric_position and cursor.position is not None and not cursor.position.isdigit():
            raise ValidationError({"cursor": [INVALID_CURSOR]})
        return cursor


class CasePagination(_Cursor):
    """Newest first; the primary key orders and positions the pages."""

    ordering = "-id"
    numeric_position = True


class ItemPagination(_Cursor):
    """By item code (annotated as item_code: cursors cannot follow a relation)."""

    ordering = "item_code"
    page_size = 50
    max_page_size = 200
