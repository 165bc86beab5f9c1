"""Objects that keep the main window's layout in shape as it changes: the side columns'
width shares on a resize (:class:`DockShares`) and the unknown-words line under the query
box, floating over the docks (:class:`HintPlacer`), a tabbed-away dock brought to the
front when the keyboard focus enters it (:class:`FocusedDockRaiser`), and the chronology
dock no higher than its orders need (:class:`OrdersFit`). :mod:`motionlex.app.ui`
installs them. :func:`restore_dock_state` restores a dock layout without Qt's stale tab bars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QTabBar, QWidget

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow


RIGHT_SPLIT = (480, 370)
"""The motion patches' and the word panel's shares of the right column's height at first
start and after View > Reset layout."""


def split_right_column(win: MainWindow) -> None:
    """Share the right column's height between the motion patches and the word panel as
    at first start (:data:`RIGHT_SPLIT`; the first start's sizes are set before the window
    is shown, and Qt scales them to the column)."""
    total = win.patch_dock.height() + win.lexical_dock.height()
    top = round(total * RIGHT_SPLIT[0] / sum(RIGHT_SPLIT))
    win.resizeDocks([win.patch_dock, win.lexical_dock], [top, total - top],
                    Qt.Orientation.Vertical)


def reset_docks(win: MainWindow, default_state: QByteArray, version: int) -> None:
    """View > Reset layout: every dock docked, shown and placed as in ``default_state`` (the
    layout built at start, saved as ``version``), sized as at first start (the chronology
    panel's share and :func:`split_right_column`, once the layout has placed them)."""
    for dock in win.docks():
        dock.setFloating(False)
        dock.show()
    restore_dock_state(win, default_state, version)  # without stale tab bars
    win._dock_shares.expect_width(None)  # sized for the window shown, not scaled
    QTimer.singleShot(0, lambda: (win.analysis.default_sizes(), split_right_column(win)))


def dock_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """The tab bars of the window's tabbed docks that are not hidden (Qt makes them children
    of the window itself)."""
    return [bar for bar in window.findChildren(QTabBar)
            if bar.parentWidget() is window and not bar.isHidden()]


def restore_dock_state(window: QMainWindow, state: QByteArray, version: int) -> bool:
    """``window.restoreState(state, version)``, then hide the tab bars of the layout it
    replaced: Qt 6.11 gives the restored tabbed docks new bars and leaves the old ones on
    screen, tabs and all, until its deferred deletion runs (the next return to the event
    loop; never, in a script that drives the window with ``processEvents``, where View >
    Reset layout stacked "Results | Gallery" bars, or left one over the chronology panel
    whose tabs did nothing).

    Returns:
        Whether the layout was restored (else nothing changed).
    """
    old = dock_tab_bars(window)
    if not window.restoreState(state, version):
        return False
    for bar in old:  # a restored layout never reuses a bar in use: these are orphans
        bar.hide()
    return True


class DockShares(QObject):
    """Keeps each side column of docks at its share of the window's width when the window
    is resized (Qt gives every added pixel to the 3D view: at 1920 px the results'
    captions stayed cut at 17 characters and the word bars lost their weights).

    The shares are those of the columns' widths once the last resize settled, and they
    change only when a column changes width while the window does not (the user moved a
    splitter, or the layout was reset): by the time the window's resize event arrives, a
    shrinking window has already pushed its columns to their minimum widths, and shares
    read then drifted by 60-90 px per round trip through 1024 px (the word weights went).

    A layout restored from the settings holds the columns' widths in pixels for the width
    the window was closed at (:meth:`expect_width`): shown at another width (``--size``),
    the columns are scaled to it once the layout has placed them, as on a resize.
    """

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self._win = win
        self._shares: list[tuple[QDockWidget, float]] | None = None
        self._settled: tuple[int, list[tuple[QDockWidget, int]]] | None = None  # (window
        self._pending = False                                     # width, column widths)
        self._restored: int | None = None  # the width a restored layout was saved at
        win.installEventFilter(self)
        for dock in win.docks():
            dock.installEventFilter(self)

    def expect_width(self, width: int | None) -> None:
        """The columns' widths now set (a restored layout) are for a window ``width``
        pixels wide: when the window is first shown at another width, they keep their
        shares of it (restored at 1024 px and shown at 1920 px, they stayed 354 and 247 px:
        captions cut at 17 characters, word weights gone). None: they are not (the layout
        was reset to the default one, sized for the window shown)."""
        self._restored = width

    def _scale_restored(self) -> None:
        restored, self._restored = self._restored, None
        width = self._win.width()
        if restored and width != restored and self._win.isVisible():
            columns = [(d, d.width()) for d in self._columns()]
            self._win.resizeDocks([d for d, _ in columns],
                                  [round(w * width / restored) for _, w in columns],
                                  Qt.Orientation.Horizontal)
        QTimer.singleShot(0, self._note_settled)  # once the layout has placed them

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self._win and event.type() == QEvent.Type.Show and self._restored:
            self._pending = True  # the layout places the restored columns first
            QTimer.singleShot(0, self._scale_restored)
        if event.type() != QEvent.Type.Resize or self._pending:
            return False
        if obj is self._win:
            old = event.oldSize().width()
            if old > 0 and event.size().width() != old:
                if self._shares is None:
                    base = self._settled or (old, [(d, d.width()) for d in self._columns()])
                    self._shares = [(d, w / base[0]) for d, w in base[1]]
                self._pending = True
                QTimer.singleShot(0, self._apply)
        elif (self._settled is not None and self._win.width() == self._settled[0]
              and event.oldSize().width() > 0
              and event.size().width() != event.oldSize().width()):
            self._shares = None  # a column moved while the window did not: new shares
            QTimer.singleShot(0, self._note_settled)
        return False

    def _columns(self) -> list[QDockWidget]:
        """One docked, visible dock per side area (its column's width)."""
        win, seen, out = self._win, set(), []
        for dock in win.docks():
            area = win.dockWidgetArea(dock)
            if (dock.isVisible() and not dock.isFloating() and area not in seen
                    and area in (Qt.DockWidgetArea.LeftDockWidgetArea,
                                 Qt.DockWidgetArea.RightDockWidgetArea)):
                seen.add(area)
                out.append(dock)
        return out

    def _apply(self) -> None:
        shares = self._shares
        if shares and self._win.isVisible():
            width = self._win.width()
            self._win.resizeDocks([d for d, _ in shares], [round(f * width) for _, f in shares],
                                  Qt.Orientation.Horizontal)
        QTimer.singleShot(0, self._note_settled)  # once the layout has placed them

    def _note_settled(self) -> None:
        self._pending = False
        self._settled = (self._win.width(), [(d, d.width()) for d in self._columns()])


class HintPlacer(QObject):
    """Keeps the unknown-words line under the query box, as wide as it, above the other
    widgets of the window (placed again whenever the box or the window moves or resizes).

    The docks stay where they are under it; the centre's content (the demo banner, the 3D
    view) moves out of its way while it shows, so that it hides no banner text."""

    def __init__(self, edit: QWidget, hint: QWidget, win: QWidget) -> None:
        super().__init__(win)
        self._edit, self._hint, self._win = edit, hint, win
        self._above = False  # the line sits above the box (no room under it)
        for w in (edit, win, hint):
            w.installEventFilter(self)

    def place(self) -> None:
        """Put the line under the box now (above it where the window has no room below, as
        with the toolbar at the bottom); hidden while the box is (the toolbar hidden)."""
        edit, hint, win = self._edit, self._hint, self._win
        if not edit.isVisibleTo(win):
            if hint.isVisible():  # later, not from inside its own show event; and only if
                QTimer.singleShot(0, self._hide_if_box_hidden)  # the box is still hidden
            self._make_room()
            return
        h = hint.sizeHint().height()
        at = edit.mapTo(win, QPoint(0, edit.height()))
        bottom = win.height() - (win.statusBar().height() if win.statusBar() else 0)
        self._above = at.y() + h > bottom
        if self._above:
            at = edit.mapTo(win, QPoint(0, -h))
        hint.setGeometry(QRect(at, QSize(edit.width(), h)))
        hint.raise_()
        self._make_room()

    def _make_room(self) -> None:
        """Margin the centre's layout by the part of it the shown line covers (top or
        bottom, as the line is under or above the box); none while the line is hidden."""
        central = self._win.centralWidget() if hasattr(self._win, "centralWidget") else None
        layout = central.layout() if central is not None else None
        if layout is None:
            return
        top = bottom = 0
        if self._hint.isVisible():
            box = QRect(central.mapTo(self._win, QPoint(0, 0)), central.size())
            cover = self._hint.geometry().intersected(box)
            if not cover.isEmpty():  # the side the line went to (under or above the box)
                if self._above:
                    bottom = box.bottom() - cover.top() + 1
                else:
                    top = cover.bottom() - box.top() + 1
        m = layout.contentsMargins()
        if (m.top(), m.bottom()) != (top, bottom):
            layout.setContentsMargins(m.left(), top, m.right(), bottom)

    def _hide_if_box_hidden(self) -> None:
        if not self._edit.isVisibleTo(self._win):
            self._hint.hide()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if obj is self._edit and kind == QEvent.Type.Show:  # the toolbar is back
            self._hint.check(self._edit.text())
        if kind in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide,
                    QEvent.Type.LayoutRequest):
            self.place()
        return False


class FocusedDockRaiser(QObject):
    """Brings a tabbed-away dock to the front when the keyboard focus enters it (Tab went
    into the hidden Gallery tab: typing filtered an invisible list, and Down changed the
    motion shown from a list nobody could see)."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self._win = win
        QApplication.instance().focusChanged.connect(self._on_focus)

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        w = new
        while w is not None and not isinstance(w, QDockWidget):
            w = w.parentWidget()
        if (w is not None and w.window() is self._win and not w.isFloating()
                and w.visibleRegion().isEmpty() and self._win.tabifiedDockWidgets(w)):
            w.raise_()


class OrdersFit:
    """Gives the chronology dock no more height than its orders table's rows need, and the
    results list above it the rest (GUI audit B #15: at 1440x900 a two-event query's two
    orders left 120 px of an empty table while the results list held 16 rows).

    :meth:`fit` runs when a query's orders are shown. It never gives the chronology dock
    more than its default share of the left column (half), so the results never lose rows
    to it; a table whose rows do not fit scrolls, as before. Once the user moves the splitter
    between the two docks, the split is theirs until View > Reset layout (:meth:`reset`).
    """

    MAX_SHARE = 0.5
    """Most of the results' and chronology docks' height the chronology dock is given."""

    def __init__(self, win: MainWindow) -> None:
        self._win = win
        self._set: tuple[int, int] | None = None  # (window height, dock height) it set
        self._theirs = False  # the user moved the splitter

    def reset(self) -> None:
        """The default split is back (first start, Reset layout): fit again."""
        self._set, self._theirs = None, False

    def _moved(self) -> bool:
        """Whether the user moved the splitter since :meth:`fit` set it (then it is theirs)."""
        win = self._win
        if self._set is not None and self._set[0] == win.height() \
                and abs(win.car_dock.height() - self._set[1]) > 2:
            self._theirs = True
        return self._theirs

    def tab_shown(self, orders: bool) -> None:
        """The dock's tab changed: the chronology's orders are fitted again; another tab
        (Describe: 8 captions) gets the default share back, unless the split is the user's."""
        if orders:
            QTimer.singleShot(0, self.fit)
            return
        win = self._win
        if self._set is None or self._moved() or win.car_dock.isFloating() \
                or win.results_dock.isFloating() or win.results_dock.isHidden():
            return
        total = win.car_dock.height() + win.results_dock.height()
        target = int(total * self.MAX_SHARE)
        win.resizeDocks([win.results_dock, win.car_dock], [total - target, target],
                        Qt.Orientation.Vertical)
        self._set = None  # the default split: fit again when the orders are shown

    def fit(self) -> None:
        """Size the chronology dock to its orders table's rows (within :data:`MAX_SHARE`);
        nothing while the docks float, are hidden or tabbed away, or the split is the
        user's."""
        win = self._win
        car, results = win.car_dock, win.results_dock
        table = win.car_panel.orders_table
        if self._moved() or not table.isVisible() or car.isFloating() \
                or results.isFloating() or results.isHidden():
            return
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        needed = max(table.minimumHeight(), table.height() - table.viewport().height() + rows)
        spare = table.height() - needed  # < 0: rows scrolled out of view
        total = car.height() + results.height()
        target = min(car.height() - spare, int(total * self.MAX_SHARE))
        if abs(target - car.height()) <= 2 * table.fontMetrics().lineSpacing():
            return  # a line or two: not worth moving the results list's edge
        win.resizeDocks([results, car], [total - target, target], Qt.Orientation.Vertical)
        QTimer.singleShot(0, lambda: setattr(self, "_set", (win.height(), car.height())))
