"""record_model on columns: rows kept as columns show, sort and filter as dict rows do, and
malformed columns are refused with the column named."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt

from motionlex.widgets.column_specs import GALLERY_COLUMNS
from motionlex.widgets.record_columns import ColumnRows, shared_path_prefix
from motionlex.widgets.record_model import (
    SAMPLE_ALL,
    SEARCH_ROLE,
    SORT_ROLE,
    RecordTableModel,
    filter_pattern,
)

CAPTIONS = ("a person walks left", "", "Jumps twice", "walks LEFT slowly", "waves", "",
            "a person walks left", "sits down")


def _gallery(n: int = 40) -> dict:
    """Columns as ``app.list_records.gallery_records`` gives them (ties in every column)."""
    caps = [CAPTIONS[k % len(CAPTIONS)] or "[no caption]" for k in range(n)]
    return {"id": [f"demo-v1/demo_s{(k * 7) % n:03d}" for k in range(n)], "caption": caps,
            "duration": np.array([(k % 5) * 1.5 for k in range(n)], dtype=np.float32),
            "row": range(n)}


def _reference(records: list[dict], column: int, order: Qt.SortOrder, text: str) -> list[int]:
    """Rows in the order the previous design showed them: a QSortFilterProxyModel sorting by
    SORT_ROLE and filtering SEARCH_ROLE with filter_pattern, over the unsorted model."""
    m = RecordTableModel(GALLERY_COLUMNS, ("id", "caption"))
    m.set_records(records)
    p = QSortFilterProxyModel()
    p.setSourceModel(m)
    p.setSortRole(SORT_ROLE)
    p.setFilterRole(SEARCH_ROLE)
    p.setFilterRegularExpression(QRegularExpression(
        filter_pattern(text), QRegularExpression.PatternOption.CaseInsensitiveOption))
    p.sort(column, order)
    return [p.mapToSource(p.index(r, 0)).row() for r in range(p.rowCount())]


def test_columns_sort_and_filter_as_dict_rows_did(qapp):
    cols = _gallery()
    records = list(ColumnRows(cols))
    m = RecordTableModel(GALLERY_COLUMNS, ("id", "caption"))
    m.set_columns(cols)
    for text in ("", "walks left", "NO caption", "demo_s01"):
        m.set_filter_text(text)
        for column in (-1, 0, 1, 2):
            for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                m.sort(column, order)
                shown = [m.source_row(r) for r in range(m.rowCount())]
                assert shown == _reference(records, column, order, text), (text, column, order)
                assert all(m.display_row(g) == r for r, g in enumerate(shown))
    m.set_filter_text("walks")
    assert m.display_row(1) == -1 and m.source_count() == 40  # row 1 has no caption


def test_columns_display_as_dict_rows_did(qapp):
    cols = _gallery()
    old = RecordTableModel(GALLERY_COLUMNS, ("id", "caption"))
    old.set_records([dict(r) for r in ColumnRows(cols)])
    new = RecordTableModel(GALLERY_COLUMNS, ("id", "caption"))
    new.set_columns(cols)
    assert new.shared_prefix(0) == old.shared_prefix(0) == "demo-v1/"
    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE,
                 SEARCH_ROLE, Qt.ItemDataRole.TextAlignmentRole):
        for r in range(40):
            for c in range(3):
                assert new.data(new.index(r, c), role) == old.data(old.index(r, c), role)
    assert new.data(new.index(1, 1)) == "[no caption]"
    assert new.data(new.index(3, 2)) == "4.5" and new.data(new.index(3, 0)) == "demo_s021"
    assert new.record(3) == old.record(3) == {"id": "demo-v1/demo_s021",
                                              "caption": "walks LEFT slowly",
                                              "duration": 4.5, "row": 3}
    assert type(new.record(3)["duration"]) is float and type(new.record(3)["row"]) is int
    assert new.column_texts(0) == old.column_texts(0)
    assert new.column_sample(0) == new.column_texts(0)  # small: every row is measured


def test_column_sample_keeps_the_longest_texts(qapp):
    n = SAMPLE_ALL + 500
    ids = [f"syn/{k:06d}" for k in range(n)]
    ids[1234] = "syn/the_longest_id_of_all"
    durations = np.ones(n, dtype=np.float32)
    durations[77], durations[78] = 12345.5, -3.0
    m = RecordTableModel(GALLERY_COLUMNS, ("id", "caption"))
    m.set_columns({"id": ids, "caption": ["x"] * n, "duration": durations})
    ids_sample, lengths = m.column_sample(0), m.column_sample(2)
    assert len(ids_sample) == 64 and "the_longest_id_of_all" in ids_sample
    assert "12345.5" in lengths and "-3.0" in lengths and len(lengths) == 64


def test_bad_columns_are_refused_and_nothing_changes(qapp):
    m = RecordTableModel(GALLERY_COLUMNS)
    m.set_columns(_gallery(4))
    with pytest.raises(ValueError, match="column 'caption' has 3 values, column 'id' has 4"):
        m.set_columns({**_gallery(4), "caption": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="column 'duration': expected numbers"):
        m.set_columns({**_gallery(4), "duration": ["1.0", "long", "2", "3"]})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['caption'\]"):
        m.set_columns({"id": ["a"]})
    with pytest.raises(ValueError, match="column 'duration': expected a 1-D array"):
        m.set_columns({**_gallery(4), "duration": np.zeros((4, 2))})
    with pytest.raises(ValueError, match="column 'id': expected a sequence"):
        m.set_columns({**_gallery(4), "id": "abcd"})
    with pytest.raises(ValueError, match="column 'row' has 5 values"):
        ColumnRows({"id": ["a"] * 4, "row": range(5)})
    assert m.rowCount() == 4 and m.record(0)["id"] == "demo-v1/demo_s000"


def test_column_rows_are_dicts_and_keep_edits():
    cols = _gallery(4)
    rows = ColumnRows(cols)
    assert len(rows) == 4 and rows[-1] == rows[3] and rows[1]["caption"] == "[no caption]"
    with pytest.raises(IndexError):
        rows[4]
    assert rows.columns()["caption"] is cols["caption"]  # unchanged: not copied
    for r in rows:
        if r["caption"] == "[no caption]":
            r["caption"] = "~ generated"
    edited = rows.columns()
    assert edited["caption"][1] == "~ generated" and cols["caption"][1] == "[no caption]"
    assert edited["id"] is cols["id"] and edited["duration"] is cols["duration"]


def test_shared_path_prefix_matches_the_loop():
    from motionlex.widgets.elide import common_path_prefix

    for values in (["a/b/c", "a/b/d"], ["a/bc", "a/bd"], ["a/x"], ["a/", "a/x"],
                   ["000000", "000001"], ["kit/b", "bandai/a"], []):
        assert shared_path_prefix(values) == common_path_prefix(values)
    assert shared_path_prefix([1, 2]) is None
