"""ClickColumns: whether a batch is already in event-time order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.validation.columns import ClickColumns


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.text("ab", max_size=2)),  # many ties, ids too
        max_size=12,
    )
)
def test_in_order_is_sorted_by_time_then_click_id(rows: list[tuple[int, str]]) -> None:
    table = ClickColumns.of_lists(
        click_id=[i for _, i in rows], ts_us=[t for t, _ in rows], code=["c"] * len(rows)
    )
    key = [(t, i) for t, i in rows]
    assert table.in_order() == (key == sorted(key))
    assert table.take(table.order()).in_order()
