"""Cursor pagination for every list: keyset on the id, an opaque cursor, `limit` ≤ 200.

The cursor is the last id of the page, encoded so that clients treat it as opaque; a page
never skips or repeats a row when rows are added between requests (unlike offsets).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select
from sqlalchemy.orm import Session

from fairclick.domain.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_PREFIX = "v1:"


def encode_cursor(last_id: int) -> str:
    """The opaque cursor that continues after `last_id`."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; `InvalidInput` for anything this API did not issue."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(text)
        value = int(text.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("not a cursor this API issued", field="cursor") from None
    if not 0 <= value < 2**63:
        raise InvalidInput("not a cursor this API issued", field="cursor")
    return value


@dataclass(frozen=True, slots=True)
class PageParams:
    """The `cursor` and `limit` query parameters of a list."""

    cursor: str | None
    limit: int


def _page_params(
    cursor: Annotated[str | None, Query(max_length=200, description="From `next_cursor`")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


Paging = Annotated[PageParams, Depends(_page_params)]


@dataclass(frozen=True, slots=True)
class Rows(Generic[T]):
    """One page of rows and the cursor of the next page (None on the last)."""

    items: list[T]
    next_cursor: str | None


def paginate(session: Session, query: Select[T], id_column: Any, params: PageParams) -> Rows[T]:
    """Run `query` (already scoped by the policy) one page at a time, in id order."""
    if params.cursor is not None:
        query = query.where(id_column > decode_cursor(params.cursor))
    rows = list(session.scalars(query.order_by(id_column).limit(params.limit + 1)))
    if len(rows) <= params.limit:
        return Rows(rows, None)
    rows = rows[: params.limit]
    return Rows(rows, encode_cursor(getattr(rows[-1], id_column.key)))
