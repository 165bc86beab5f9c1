"""GalleryBrowser given columns: the same view as dict rows, and a 1,000,000-row gallery."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt

from motionlex.widgets.record_columns import ColumnRows
from motionlex.widgets.results_list import GalleryBrowser


def _columns(n: int) -> dict:
    caps = [("a person walks left", "[no caption]", "jumps", "waves slowly")[k % 4]
            for k in range(n)]
    return {"id": [f"demo-v1/demo_s{(k * 7) % n:04d}" for k in range(n)], "caption": caps,
            "duration": np.array([(k % 9) * 0.5 for k in range(n)], dtype=np.float32),
            "row": range(n)}


def _browser(qtbot, items) -> GalleryBrowser:
    w = GalleryBrowser()
    w.resize(440, 360)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_items(items)
    return w


def _shown(w: GalleryBrowser) -> list[list[str]]:
    p = w.proxy
    return [[p.data(p.index(r, c)) for c in range(3)] for r in range(p.rowCount())]


def test_columns_and_dicts_show_sort_filter_and_select_alike(qtbot):
    cols = _columns(60)
    new = _browser(qtbot, ColumnRows(cols))
    old = _browser(qtbot, [dict(r) for r in ColumnRows(cols)])
    assert _shown(new) == _shown(old) and _shown(new)[1][:2] == ["demo_s0007", "[no caption]"]
    hh_new, hh_old = new.view.horizontalHeader(), old.view.horizontalHeader()
    assert [hh_new.sectionSize(c) for c in (0, 2)] == [hh_old.sectionSize(c) for c in (0, 2)]
    for w in (new, old):
        w.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # longest first
        w.set_filter_text("walks LEFT")
    assert new.visible_rows() == old.visible_rows() and len(new.visible_rows()) == 15
    assert new.record(new.visible_rows()[0])["duration"] == 4.0
    assert _shown(new) == _shown(old)
    row = new.visible_rows()[3]
    with qtbot.waitSignal(new.itemSelected, timeout=1000) as blocker:
        new.select_row(row)
    assert blocker.args == [row] and new.selected_row() == row
    assert new.record(row) == old.record(row)
    # a filter that keeps the selected row keeps it current, without a second signal
    with qtbot.assertNotEmitted(new.itemSelected):
        new.set_filter_text("walks")
    assert new.selected_row() == row and new.visible_count() == 15
    new.set_filter_text("jumps")  # hides it
    assert new.selected_row() is None and new.visible_count() == 15
    new.set_filter_text("")
    assert new.visible_count() == new.row_count() == 60
    # clicking the first row of the sorted view reports the row given
    new.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    rect = new.view.visualRect(new.proxy.index(0, 1))
    with qtbot.waitSignal(new.itemSelected, timeout=1000) as blocker:
        qtbot.mouseClick(new.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert new.record(blocker.args[0])["id"] == "demo-v1/demo_s0000"


def test_a_million_rows_are_set_as_columns(qtbot):
    n = 1_000_000
    info_ids = [f"syn/{k:07d}" for k in range(n)]
    caps = ["synthetic motion"] * n
    caps[n - 1] = "[no caption]"
    durations = np.full(n, 5.0, dtype=np.float32)
    durations[n - 1] = 12.5
    w = GalleryBrowser()
    w.resize(440, 600)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    t0 = time.perf_counter()
    w.set_items(ColumnRows({"id": info_ids, "caption": caps, "duration": durations,
                            "row": range(n)}))
    print(f"set_items of {n:,} rows as columns: {time.perf_counter() - t0:.3f} s")
    qtbot.wait(1)
    m = w.model
    assert w.row_count() == n == w.visible_count()
    assert [m.data(m.index(0, c)) for c in range(3)] == ["0000000", "synthetic motion", "5.0"]
    last = [m.data(m.index(n - 1, c)) for c in range(3)]
    assert last == ["0999999", "[no caption]", "12.5"]
    assert w.record(n - 1) == {"id": "syn/0999999", "caption": "[no caption]",
                               "duration": 12.5, "row": n - 1}
    w.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert w.visible_rows()[0] == n - 1
    with qtbot.waitSignal(w.itemSelected, timeout=1000) as blocker:
        w.select_row(n - 1)
    assert blocker.args == [n - 1]
    w.set_filter_text("no caption")
    assert w.visible_rows() == [n - 1] and w.selected_row() == n - 1


def test_an_empty_results_table_gives_the_caption_the_room(qtbot):
    """With no results yet, "#" and "score" kept their sample widths and "caption" read
    "cap…" in a 290 px dock (GUI audit 36 #19): the columns fit their titles."""
    from PySide6.QtCore import Qt as _Qt

    from motionlex.widgets.results_list import ResultsList

    w = ResultsList()
    w.resize(290, 300)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    view = w.view
    keys = [c.key for c in w.model.columns]
    widths = {k: view.columnWidth(c) for c, k in enumerate(keys)}
    assert widths["caption"] > max(v for k, v in widths.items() if k != "caption"), widths
    fm = view.horizontalHeader().fontMetrics()
    for c, k in enumerate(keys):  # every title whole
        title = str(view.model().headerData(c, _Qt.Orientation.Horizontal))
        assert widths[k] >= fm.horizontalAdvance(title), title


def test_a_narrow_gallery_keeps_the_captions_start(qtbot, shared_data):
    """GUI audit B #3: at 1024x640 the raw_bvh gallery's caption column was 49 px ("a
    pe…") while "length (s)" kept 94 px for "4.6". The caption keeps its start, the length
    narrows to its numbers (its title cut with "…"), the id to its end, never hidden."""
    from motionlex.widgets.column_fit import kept_width
    from motionlex.widgets.elide import ID_KEPT
    from motionlex.widgets.list_widths import GALLERY_CAPTION_KEPT

    names = sorted(p.stem for p in (shared_data / "bandai" / "texts").glob("*.txt"))[:40]
    items = [{"id": f"bandai/{n}", "caption": "a person waves the left hand above the head",
              "duration": 4.6 + k % 9} for k, n in enumerate(names)]
    w = GalleryBrowser()
    w.resize(290, 360)  # the gallery dock at 1024x640
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_items(items)
    view, hh = w.view, w.view.horizontalHeader()
    ids, caps, lengths = (w.model.column_texts(c) for c in range(3))
    qtbot.waitUntil(lambda: hh.sectionSize(1) >= kept_width(view, caps, GALLERY_CAPTION_KEPT),
                    timeout=2000)
    assert hh.sectionSize(2) < 60 and hh.sectionSize(2) >= kept_width(view, lengths, 4)
    assert hh.sectionSize(0) >= kept_width(view, ids, ID_KEPT, end=True)
    assert not view.isColumnHidden(0) and not view.horizontalScrollBar().isVisible()
    w.resize(700, 360)  # wide: the length's title whole again
    qtbot.waitUntil(lambda: hh.sectionSize(2) >= 80, timeout=2000)
