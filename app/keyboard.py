"""The explorer window's keyboard, set up once every widget is built: which keys the
window's shortcuts leave to the focused widget, and the order Tab visits the widgets in.

- Text boxes leave the window's shortcuts to it (:class:`~motionlex.widgets.window_keys.
  WindowKeys`: a line edit took Ctrl+E as "end of line", so File > Export did nothing from
  the caption or filter boxes).
- The playback shortcuts leave Space, Left and Right to a focused widget that uses them
  (:class:`~motionlex.widgets.player_keys.FocusedWidgetKeys`: Space presses a button,
  Right switches a tab bar's tab; the lexical evidence panel claims its keys itself, as a
  text box does).
- Tab goes from the query box to what the user wants next, the results, then the notes
  over the 3D view when shown (their links: Tab again, Return), the 3D view, the lexical
  evidence panel, the chronology and describe panels and the gallery (it went
  to the 3D view and the chronology panel's caption box first, the results last; the
  lexical evidence panel was out of reach).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QScrollArea, QWidget

from motionlex.widgets.player_keys import FocusedWidgetKeys
from motionlex.widgets.window_keys import WindowKeys

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow


def set_up_keys(win: MainWindow) -> None:
    """Install the window's key filters and its Tab order (see the module docstring)."""
    keys = [act.shortcut() for act in (  # those a line edit takes (not Space, Ctrl+C, ...)
        win.act_export_glb, win.act_similar, win.act_export_png, win.act_open_checkpoint)]
    keys += win.act_use_suggestion.shortcuts()  # Ctrl+Return, Ctrl+Enter
    WindowKeys(keys, win).watch(*win.findChildren(QLineEdit))
    win._focus_keys = FocusedWidgetKeys(win)
    set_tab_order(win)


def tab_order(win: MainWindow) -> list[QWidget]:
    """The widgets Tab visits, in order, from the query box (the chronology and describe
    panels' tab widget stands for its tab bar, its focus proxy)."""
    chron, describe = win.analysis.chronology, win.analysis.describe_panel
    return [win.query_edit, win.results_list.view, win.results_list.filter_edit,
            win.demo_banner, win.model_notice, win.skeleton_view, win.lexical_bars,
            win.analysis.tabs, chron.button("query"), chron.button("caption"),
            win.car_panel.caption_edit, describe.describe_button,
            win.gallery_browser.filter_edit, win.gallery_browser.view]


def set_tab_order(win: MainWindow) -> None:
    """Chain :func:`tab_order`; the scroll area around the chronology and describe panels
    leaves the chain (Tab stopped on it, where the arrows scroll nothing)."""
    scroll = win.findChild(QScrollArea, "analysis_scroll")
    if scroll is not None:
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    chain = tab_order(win)
    for before, after in zip(chain, chain[1:]):
        QWidget.setTabOrder(before, after)
