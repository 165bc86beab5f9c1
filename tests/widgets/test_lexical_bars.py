"""LexicalBars: ordering, shared-word highlighting, clicks, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from motionlex.widgets.colors import ACCENT_HEX
from motionlex.widgets.lexical_bars import LexicalBars
from motionlex.widgets.lexical_geometry import TIGHT_BAR_PX

# WordPieces with weights as a lexical head would give them for HumanML3D 000000's caption
# "a man kicks something or someone with his left leg." and for a retrieved motion
QUERY = [("kick", 2.1), ("left", 1.7), ("leg", 1.5), ("man", 0.4), ("##s", 0.2)]
RESULT = [("leg", 1.2), ("kick", 1.9), ("right", 1.1), ("foot", 0.8), ("swing", 0.6)]


@pytest.fixture
def bars(qtbot) -> LexicalBars:
    w = LexicalBars(max_words=20)
    w.resize(520, 220)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_query_words(QUERY)
    w.set_result_words(RESULT)
    return w


def _accent_pixels(img, rect) -> int:
    accent = QColor(ACCENT_HEX)
    a = np.array([accent.red(), accent.green(), accent.blue()])
    n = 0
    for y in range(rect.top() + 2, rect.bottom() - 1, 2):
        for x in range(rect.left(), rect.right(), 2):
            c = img.pixelColor(x, y)
            if np.abs(np.array([c.red(), c.green(), c.blue()]) - a).sum() < 30:
                n += 1
    return n


def test_words_sorted_and_shared_highlighted(qtbot, bars, screenshot_dir):
    assert [w for w, _ in bars.words("result")] == ["kick", "leg", "right", "foot", "swing"]
    assert bars.shared_words() == {"kick", "leg"}
    qtbot.wait(10)
    img = bars.grab().toImage()
    bars.grab().save(str(screenshot_dir / "widget_lexical_bars.png"))
    for side in ("query", "result"):
        for word, _ in bars.words(side):
            rect = bars.word_rect(side, word)
            if word in bars.shared_words():
                assert _accent_pixels(img, rect) > 10, (side, word)
            else:
                assert _accent_pixels(img, rect) == 0, (side, word)


def test_click_on_word_emits_it(qtbot, bars):
    rect = bars.word_rect("result", "foot")
    with qtbot.waitSignal(bars.wordClicked, timeout=1000) as blocker:
        qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["foot"]
    below_rows = QPoint(rect.center().x(), bars.height() - 3)  # 5 rows end well above
    with qtbot.assertNotEmitted(bars.wordClicked):
        qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=below_rows)


def test_max_words_keeps_heaviest(qtbot):
    w = LexicalBars(max_words=3)
    qtbot.addWidget(w)
    w.set_query_words(QUERY)
    assert w.words("query") == [("kick", 2.1), ("left", 1.7), ("leg", 1.5)]
    assert w.word_rect("query", "man") is None
    w.clear()
    assert w.words("query") == [] and w.shared_words() == set()


@pytest.mark.parametrize(
    ("words", "match"),
    [
        ([("walk", -0.1)], "finite and >= 0"),
        ([("walk", float("nan"))], "finite and >= 0"),
        ([("walk", 1.0), ("walk", 0.5)], "duplicate"),
        ([("walk",)], "expected \\(word, weight\\)"),
        ([("", 1.0)], "non-empty str"),
        ([("walk", "heavy")], "must be a number"),
    ],
)
def test_rejects_bad_words(bars, words, match):
    with pytest.raises(ValueError, match=match):
        bars.set_result_words(words)


def test_rejects_bad_side_and_max_words(qtbot, bars):
    with pytest.raises(ValueError, match="side"):
        bars.words("left")
    with pytest.raises(ValueError, match="max_words"):
        LexicalBars(max_words=0)


class _EventCounter(QObject):
    """Counts events of one type delivered to the watched objects."""

    def __init__(self, kind: QEvent.Type) -> None:
        super().__init__()
        self.kind = kind
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == self.kind:
            self.count += 1
        return False


def test_unchanged_data_neither_repaints_nor_relayouts(qtbot):
    host = QWidget()  # a parent with a layout, as a dock gives in the app
    bars = LexicalBars(host, max_words=20)
    QVBoxLayout(host).addWidget(bars)
    host.resize(520, 260)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    bars.set_query_words(QUERY)
    bars.set_result_words(RESULT)
    bars.set_titles("query: kick", "motion 000000")
    qtbot.wait(30)
    paints = _EventCounter(QEvent.Type.Paint)
    layouts = _EventCounter(QEvent.Type.LayoutRequest)
    bars.installEventFilter(paints)
    host.installEventFilter(layouts)
    bars.set_query_words(list(reversed(QUERY)))  # the same words in another order
    bars.set_titles("query: kick", "motion 000000")
    qtbot.wait(30)
    assert paints.count == 0 and layouts.count == 0
    other = [(w + "s", x) for w, x in RESULT]  # new words, as many rows: repaint, no relayout
    bars.set_result_words(other)
    qtbot.wait(30)
    assert paints.count >= 1 and layouts.count == 0
    assert bars.words("result")[0] == ("kicks", 1.9)
    bars.set_result_words(other + [("jump", 0.1)])  # one row more: the layout is told
    qtbot.wait(30)
    assert layouts.count >= 1


# words the explorer showed cut at their start ("..erforming", "..eforehand", issue 14)
LONG_QUERY = [("outperforming", 0.113), ("beforehand", 0.11), ("counterclockwise", 0.0786),
              ("hand", 0.107)]
LONG_RESULT = [("counterclockwise", 0.135), ("hand", 0.128), ("walks", 0.0744)]


def test_long_words_and_headings_elide_on_the_right(qtbot):
    from PySide6.QtGui import QFont, QFontMetrics

    from motionlex.widgets.elide import ELLIPSIS, is_elided

    w = LexicalBars(max_words=20)
    w.resize(300, 200)  # the right dock at 1024x640
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_query_words(LONG_QUERY)
    w.set_result_words(LONG_RESULT)
    query_title = "query: a person raises both hands, then walks forward"
    w.set_titles(query_title, "motion demo-v1/demo_s117")
    bold = QFont(w.font())
    bold.setBold(True)
    bfm, fm = QFontMetrics(bold), w.fontMetrics()
    col_w = (w.width() - 3 * 8) // 2
    for side, words in (("query", LONG_QUERY), ("result", LONG_RESULT)):
        title = w.title_text(side)
        assert bfm.horizontalAdvance(title) <= col_w, title  # measured in the painted font
        for word, weight in words:
            label = w.painted_label(side, word)
            assert label == word or is_elided(label, word), (label, word)  # start kept
            rect = w.word_rect(side, word)
            assert bfm.horizontalAdvance(label) <= rect.width() - TIGHT_BAR_PX, label
            assert w.painted_value(side, word) == ""  # too narrow: words first, weights
            assert f"{weight:.4g}" in w.tooltip_at(rect.center())  # in the tooltip
    assert w.painted_label("query", "counterclockwise").endswith(ELLIPSIS)
    assert w.painted_label("query", "counterclockwise").startswith("cou")
    assert w.painted_label("query", "hand") == "hand"  # shared: the dot is drawn apart
    # the bars give way before the words: at 1024x640 (about 240 pixels) the words that
    # read "forw…", "hand…", "walki…" beside 36-pixel bars stay whole
    w.resize(236, 200)
    many = [("handed", .12), ("raised", .11), ("forward", .1), ("hands", .1), ("raising", .09),
            ("hand", .09), ("forwards", .08), ("walked", .08), ("walk", .07), ("walks", .07),
            ("raises", .06), ("walking", .06), ("towards", .05)]
    w.set_query_words(many)  # more rows than the height: a scroll bar takes its share
    assert not w.scroll_bar.isHidden() and w.scroll_bar.width() > 0
    for word in ("handed", "forward", "forwards", "walking"):
        assert w.painted_label("query", word) == word
        assert w.word_rect("query", word).width() - bfm.horizontalAdvance(word) >= TIGHT_BAR_PX
    w.set_query_words(LONG_QUERY)
    w.resize(300, 200)
    assert is_elided(w.title_text("query"), query_title)
    # the motion id is cut, the shared-word count never is
    assert w.title_text("result").startswith("motion") and ELLIPSIS in w.title_text("result")
    assert w.title_text("result").endswith("(2 shared)")
    # the full texts are one hover away
    assert w.tooltip_at(w.word_rect("query", "counterclockwise").center()).startswith(
        "counterclockwise: 0.0786")
    assert w.tooltip_at(QPoint(20, 5)) == query_title
    # wide enough: whole words and whole weights, three decimals each
    w.resize(760, 200)
    for side, words in (("query", LONG_QUERY), ("result", LONG_RESULT)):
        for word, weight in words:
            assert w.painted_label(side, word) == word
            assert w.painted_value(side, word) == f"{weight:.3f}"
    word_w, value_w, _ = w._columns((w.width() - 3 * 8) // 2)
    assert value_w >= fm.horizontalAdvance("0.079") + 4


def _twenty(prefix: str, shared_at: int) -> list[tuple[str, float]]:
    """20 words, heaviest first; the word at ``shared_at`` is ``"walks"`` on both sides."""
    return [("walks" if i == shared_at else f"{prefix}{i}", 1.0 - i * 0.04) for i in range(20)]


def test_rows_that_do_not_fit_shrink_then_scroll(qtbot):
    """The right dock at 1440x900 holds about 15 rows: the other 5 words (a shared one
    among them) were cut off with no scroll bar."""
    w = LexicalBars(max_words=20)
    w.resize(380, 280)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_query_words(_twenty("q", 19))
    w.set_result_words(_twenty("r", 18))  # the shared word is in the last rows
    full_row = w.fontMetrics().height() + 6
    assert w.word_rect("query", "q0").height() < full_row  # rows shrank first...
    assert w.word_rect("query", "q0").height() >= w.fontMetrics().height() + 2  # readable
    assert w.scroll_bar.isVisible() and w.scroll_bar.maximum() > 0  # ...then it scrolls
    assert not w.is_word_shown("result", "walks")
    # the scroll bar takes its own strip: no row is painted under it
    assert max(w.word_rect(s, "walks").right() for s in ("query", "result")) < w.scroll_bar.x()
    # the mouse wheel scrolls to the end: every row, the shared word's too, can be reached
    centre = QPointF(w.width() / 2, w.height() / 2)
    for _ in range(10):
        QApplication.sendEvent(w, QWheelEvent(
            centre, w.mapToGlobal(centre), QPoint(0, 0), QPoint(0, -120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False))
    assert w.scroll_bar.value() == w.scroll_bar.maximum()
    assert w.is_word_shown("result", "walks") and w.is_word_shown("query", "q17")
    assert not w.is_word_shown("query", "q0")  # scrolled under the headings
    # a click on a scrolled row picks that row; the headings stay put and take no clicks
    rect = w.word_rect("result", "walks")
    with qtbot.waitSignal(w.wordClicked) as got:
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=rect.center())
    assert got.args == ["walks"]
    assert w.tooltip_at(QPoint(20, 5)) == "query"
    # tall enough again: full rows, no scroll bar
    w.resize(380, 700)
    assert not w.scroll_bar.isVisible() and w.scroll_bar.value() == 0
    assert w.word_rect("query", "q0").height() == full_row
    assert all(w.is_word_shown(s, word) for s in ("query", "result") for word, _ in w.words(s))
    w.resize(380, 280)
    assert w.scroll_to_word("result", "walks") and w.is_word_shown("result", "walks")


def test_heading_keeps_the_shared_count_and_cuts_the_motion_id(qtbot):
    from PySide6.QtGui import QFont, QFontMetrics

    from motionlex.widgets.elide import ELLIPSIS

    w = LexicalBars(max_words=20)
    w.resize(330, 200)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_query_words(QUERY + [("walks", 0.3)])
    w.set_result_words(RESULT + [("walks", 0.3)])
    w.set_titles("query: a man kicks", "motion demo-v1/demo_c012")
    bold = QFont(w.font())
    bold.setBold(True)
    title = w.title_text("result")
    assert title.endswith("(3 shared)") and ELLIPSIS in title and title.startswith("motion")
    assert QFontMetrics(bold).horizontalAdvance(title) <= (w.width() - 3 * 8) // 2
    w.resize(900, 200)  # room for all of it
    assert w.title_text("result") == "motion demo-v1/demo_c012  (3 shared)"
    # so narrow that the count would leave the title a letter ("m… (3 shared)"): the title
    # goes first, the count is cut
    w.resize(8 * 3 + 2 * QFontMetrics(bold).horizontalAdvance("mo\u2026 (3 shared)"), 200)
    title = w.title_text("result")
    assert title.startswith("motion") and "shared" not in title and title.endswith(ELLIPSIS)


def test_a_result_heading_keeps_the_motion_id_not_the_word_result(qtbot):
    """"result bn2_w… (13 shared)" said nothing: the name goes first and the id is cut as
    the results list cuts it ("…" and its end: the style and the take number, GUI audit
    w38 #2)."""
    from PySide6.QtGui import QFont, QFontMetrics

    from motionlex.widgets.elide import ELLIPSIS

    w = LexicalBars(max_words=20)
    w.resize(380, 200)
    qtbot.addWidget(w)
    w.set_query_words(QUERY + [("walks", 0.3)])
    w.set_result_words(RESULT + [("walks", 0.3)])
    take = "bn2_wave-right-hand_normal_013"
    w.set_titles("query: a person waves", "result", result_id=take)
    bold = QFont(w.font())
    bold.setBold(True)
    title = w.title_text("result")
    assert not title.startswith("result") and title.count(ELLIPSIS) == 1, title
    cut = title.removesuffix(" (3 shared)")
    assert cut.startswith(ELLIPSIS) and take.endswith(cut[1:]) and cut.endswith("normal_013")
    assert QFontMetrics(bold).horizontalAdvance(title) <= (w.width() - 3 * 8) // 2
    assert w.tooltip_at(QPoint(w.width() - 20, 5)) == f"result {take}  (3 shared)"
    w.resize(250, 200)  # a 1024-pixel window's dock: the id alone ("result bn2_w…" was)
    title = w.title_text("result")
    assert title.startswith(ELLIPSIS) and title.endswith("_013") and take.endswith(title[1:])
    w.resize(560, 200)  # room for the name and most of the id
    title = w.title_text("result")
    assert title.startswith("result " + ELLIPSIS) and title.endswith("_013 (3 shared)"), title
    assert take.endswith(title.removeprefix("result " + ELLIPSIS).removesuffix(" (3 shared)"))
    w.resize(1000, 200)  # room for all of it
    assert w.title_text("result") == f"result {take}  (3 shared)"


def test_expansions_are_drawn_apart_from_the_texts_own_words(qtbot, bars):
    """Given the words of each side's text, the others (the model's expansions) are drawn
    in italic grey, and the tooltip says which is which; without them nothing is marked."""
    assert not any(bars.is_expansion("query", w) for w, _ in QUERY)  # not known: unmarked
    assert "added by the model" not in bars.tooltip_at(bars.word_rect("query", "man").center())
    bars.set_query_words(QUERY, own={"kick", "left", "leg", "man"})
    bars.set_result_words(RESULT, own={"kick", "right", "foot"})
    assert [w for w, _ in QUERY if bars.is_expansion("query", w)] == ["##s"]
    assert [w for w, _ in bars.words("result") if bars.is_expansion("result", w)] == [
        "leg", "swing"]
    tip = bars.tooltip_at(bars.word_rect("result", "swing").center())
    assert tip.startswith("swing: 0.6") and "added by the model, not one of its captions'" in tip
    assert "; one of the query's words" in bars.tooltip_at(
        bars.word_rect("query", "kick").center())
    # painted: an expansion's word is grey (its darkest pixel mid-grey), an own word black
    qtbot.wait(10)
    img = bars.grab().toImage()

    def darkest(rect) -> int:  # over the word's part of the row (the bar and weight follow)
        return min(img.pixelColor(x, y).value() for y in range(rect.top(), rect.bottom())
                   for x in range(rect.left(), rect.left() + rect.width() * 2 // 5))

    assert darkest(bars.word_rect("result", "swing")) > 80
    assert darkest(bars.word_rect("result", "foot")) < 60


# the panel's words for "a person immediately jumps" on Bandai (audit 32 #1): one word of 11
# letters among 40 took every weight away at 1440x900
JUMPS_QUERY = [("jumps", .144), ("jump", .144), ("jumping", .143), ("quickly", .121),
               ("climbing", .116), ("rising", .115), ("leap", .112), ("immediately", .111),
               ("heights", .106), ("hop", .105), ("climbs", .105), ("hopping", .103),
               ("raising", .1), ("raises", .098), ("brings", .097), ("initially", .095),
               ("moving", .094), ("sky", .094), ("flying", .093), ("raised", .091)]
JUMPS_RESULT = [("raises", .24), ("raising", .239), ("handed", .238), ("hand", .238),
                ("raised", .238), ("hands", .238), ("right", .226), ("left", .167),
                ("due", .166), ("up", .15), ("wrong", .146), ("greater", .142), ("pot", .137),
                ("more", .13), ("next", .127), ("risen", .12), ("because", .117),
                ("brings", .111), ("under", .109), ("tapping", .105)]


def _bar_px(w: LexicalBars, side: str, word: str) -> int:
    """Pixels of the plain bar colour painted on the middle line of ``word``'s row."""
    from motionlex.widgets.lexical_words import PLAIN_BAR_HEX

    img, rect, bar = w.grab().toImage(), w.word_rect(side, word), QColor(PLAIN_BAR_HEX)
    y = rect.center().y()

    def near(c: QColor) -> bool:  # within a 16-bit display's rounding (pytest-xvfb's depth)
        return max(abs(c.red() - bar.red()), abs(c.green() - bar.green()),
                   abs(c.blue() - bar.blue())) <= 8

    return sum(near(img.pixelColor(x, y)) for x in range(rect.left(), rect.right() + 1))


def test_one_long_word_keeps_the_weights_and_bars_keep_their_lengths(qtbot):
    from motionlex.widgets.elide import is_elided

    w = LexicalBars(max_words=20)
    w.resize(400, 330)  # the right dock at 1440x900: 20 rows scroll
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_query_words(JUMPS_QUERY)
    w.set_result_words(JUMPS_RESULT)
    assert w.scroll_bar.isVisible()
    for side, words in (("query", JUMPS_QUERY), ("result", JUMPS_RESULT)):
        for word, weight in words:  # every weight painted, three decimals
            assert w.painted_value(side, word) == f"{weight:.3f}", (side, word)
    label = w.painted_label("query", "immediately")  # whole, or cut with its start kept
    assert label == "immediately" or is_elided(label, "immediately"), label
    tip = w.tooltip_at(w.word_rect("query", "immediately").center())
    assert tip.startswith("immediately: 0.111")
    # the bars scale with the weight: the lightest plain word's bar is visibly shorter
    assert _bar_px(w, "query", "jumps") - _bar_px(w, "query", "flying") >= 6
    # the right dock at 1024x640: too narrow for the weights; the bars, the only measure
    # left, get the room the weights had (they were squares as long as the row was high)
    w.resize(247, 360)
    assert w.painted_value("query", "jumps") == ""
    assert _bar_px(w, "query", "jumps") >= TIGHT_BAR_PX
    assert _bar_px(w, "query", "jumps") > _bar_px(w, "query", "flying")
    for word in ("jumping", "climbing", "raising"):  # typical words stay whole
        assert w.painted_label("query", word) == word
