"""record_model: the flat table model and the typed-words filter pattern, without a view."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from motionlex.widgets.record_model import (
    GALLERY_COLUMNS,
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
    assert m.data(m.index(0, 2)) == "2.2"  # '{:.1f}' of 2.25 (round half to even)
    assert m.data(m.index(1, 2)) == ""  # optional column missing
    assert m.data(m.index(1, 2), SORT_ROLE) == -math.inf
    assert m.data(m.index(0, 1), SORT_ROLE) == "a person walks"
    assert m.data(m.index(0, 0), SEARCH_ROLE) == "m1 a person walks"
    assert m.data(m.index(1, 0), ID_ROLE) == "M2"
    assert m.headerData(2, Qt.Orientation.Horizontal) == "length (s)"
    assert m.record(0)["caption"] == "A person Walks"


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
