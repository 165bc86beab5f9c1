"""record_model: the flat table model and the typed-words filter pattern, without a view."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from motionlex.widgets.column_specs import GALLERY_COLUMNS
from motionlex.widgets.record_model import (
    ID_ROLE,
    SEARCH_ROLE,
    SORT_ROLE,
    RecordTableModel,
    filter_pattern,
)


def test_filter_pattern():
    assert filter_pattern("  ") == ""
    assert filter_pattern("walk left") == "^(?=.*walk)(?=.*left)"
    assert filter_pattern("a+b") == "^(?=.*a\\+b)"


def test_rows_are_precomputed_lookups(qapp):
    m = RecordTableModel(GALLERY_COLUMNS, search_keys=("id", "caption"))
    m.set_records([{"id": "M1", "caption": "A person Walks", "duration": 2.25},
                   {"id": "M2", "caption": "jumps"}])
    assert (m.rowCount(), m.columnCount()) == (2, 3)
    assert m.data(m.index(0, 2)) == "2.3"  # 2.25 to a tenth, a tie up (column_specs)
    assert m.data(m.index(1, 2)) == ""  # optional column missing
    assert m.data(m.index(1, 2), SORT_ROLE) == -math.inf
    assert m.data(m.index(0, 1), SORT_ROLE) == "a person walks"
    assert m.data(m.index(0, 0), SEARCH_ROLE) == "m1 a person walks"
    assert m.data(m.index(1, 0), ID_ROLE) == "M2"
    assert m.headerData(2, Qt.Orientation.Horizontal) == "length (s)"
    assert m.record(0)["caption"] == "A person Walks"


def test_a_pending_row_is_italic_until_cleared_or_replaced(qapp):
    """The row chosen during a recording, shown after it, is marked (GUI audit 36 #10)."""
    m = RecordTableModel(GALLERY_COLUMNS, search_keys=("id", "caption"))
    m.set_records([{"id": "M1", "caption": "walks"}, {"id": "M2", "caption": "jumps"}])
    font = Qt.ItemDataRole.FontRole
    changed = []
    m.dataChanged.connect(lambda a, b, roles: changed.append((a.row(), b.column())))
    m.set_pending_row(1)
    assert m.data(m.index(1, 1), font).italic() and m.data(m.index(0, 1), font) is None
    assert changed == [(1, 2)]  # the whole row repainted
    m.set_filter_text("jumps")  # it moves with its row
    assert m.data(m.index(0, 0), font).italic()
    m.set_pending_row(None)
    assert m.data(m.index(0, 0), font) is None
    m.set_pending_row(0)  # hidden by the filter: nothing to repaint, no error
    m.set_records([{"id": "M3", "caption": "sits"}])  # new rows: none pending
    assert m.data(m.index(0, 0), font) is None


def test_bad_rows_are_refused_and_nothing_changes(qapp):
    m = RecordTableModel(GALLERY_COLUMNS)
    m.set_records([{"id": "M1", "caption": "x"}])
    with pytest.raises(ValueError, match="row 0: missing key"):
        m.set_records([{"caption": "no id"}])
    with pytest.raises(ValueError, match="bad 'duration'"):
        m.set_records([{"id": "M1", "caption": "x", "duration": "long"}])
    assert m.rowCount() == 1
    with pytest.raises(IndexError, match="out of range"):
        m.record(5)


def test_id_column_shows_the_part_that_differs(qapp):
    m = RecordTableModel(GALLERY_COLUMNS, search_keys=("id", "caption"))
    m.set_records([{"id": "demo-v1/demo_s117", "caption": "walks"},
                   {"id": "demo-v1/demo_s002", "caption": "runs"}])
    assert m.column_texts(0) == ["demo_s117", "demo_s002"]
    assert m.shared_prefix(0) == "demo-v1/"
    assert "demo-v1/demo_s117" in m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert m.data(m.index(0, 0), ID_ROLE) == "demo-v1/demo_s117"  # selection keeps the full id
    assert m.data(m.index(0, 0), SEARCH_ROLE).startswith("demo-v1/demo_s117")
    assert "demo-v1/" in m.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    # no shared folder: the ids are shown whole
    m.set_records([{"id": "bandai/a", "caption": "x"}, {"id": "kit/b", "caption": "y"}])
    assert m.column_texts(0) == ["bandai/a", "kit/b"] and m.shared_prefix(0) == ""


def test_common_path_prefix():
    from motionlex.widgets.elide import common_path_prefix

    assert common_path_prefix([]) == ""
    assert common_path_prefix(["a/b/c", "a/b/d"]) == "a/b/"
    assert common_path_prefix(["a/bc", "a/bd"]) == "a/"
    assert common_path_prefix(["a/x"]) == "a/"
    assert common_path_prefix(["a/", "a/x"]) == ""  # would empty a value
    assert common_path_prefix(["000000", "000001"]) == ""
