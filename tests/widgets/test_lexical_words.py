"""widgets/lexical_words.py: the lexical panel's word lists (checked, ordered), weights as
painted, word fonts, and one painted row (``RowPainter`` into an image, measured pixel by
pixel). The panel itself is in test_lexical_bars.py."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette

from motionlex.widgets.colors import ACCENT_HEX
from motionlex.widgets.lexical_words import (
    PLAIN_BAR_HEX,
    Row,
    RowPainter,
    check_words,
    value_text,
    word_font,
)

# -- value_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(("weight", "text"), [
    (0.14, "0.140"), (2.2727, "2.273"), (1.0, "1.000"), (0.001, "0.001"),
    (9.9994, "9.999"),  # the largest that still shows as x.xxx
    (9.9995, "10"), (10.0, "10"), (123.456, "123"), (1234.5, "1.23e+03"),
    (0.0009, "0.0009"), (0.000123456, "0.000123"), (0.0, "0"), (-0.5, "-0.500"),
])
def test_value_text(weight, text):
    """Three decimals in [0.001, 10); three significant digits outside (no "10.000")."""
    assert value_text(weight) == text


def test_value_texts_of_a_column_line_up():
    texts = [value_text(w) for w in (2.1, 1.7, 0.4, 0.02, 0.0015)]
    assert {len(t) for t in texts} == {5} and all(t[1] == "." for t in texts)


# -- check_words -----------------------------------------------------------------------------


def test_words_are_sorted_heaviest_first_and_ties_keep_their_order():
    words = [("man", 0.4), ("kick", 2.1), ("left", 1.7), ("leg", 1.7), ("##s", 0.0)]
    assert check_words(words, "query") == [("kick", 2.1), ("left", 1.7), ("leg", 1.7),
                                           ("man", 0.4), ("##s", 0.0)]
    assert check_words([], "query") == []
    assert check_words((w for w in [("a", 1)]), "query") == [("a", 1.0)]  # any iterable


def test_weights_become_python_floats():
    got = check_words([("kick", np.float32(0.5)), ("leg", 2), ("man", np.int64(1))], "result")
    assert got == [("leg", 2.0), ("man", 1.0), ("kick", 0.5)]
    assert all(type(w) is float for _, w in got)


@pytest.mark.parametrize(("words", "message"), [
    ([("walk", 1.0), None], r"result words\[1\]: expected \(word, weight\), got None"),
    ([("walk", 1.0, 2.0)], r"result words\[0\]: expected \(word, weight\)"),
    ([5], r"result words\[0\]: expected \(word, weight\), got 5"),
    ([(3, 1.0)], r"result words\[0\]: word must be a non-empty str, got 3"),
    ([(None, 1.0)], r"word must be a non-empty str, got None"),
    ([("walk", None)], r"result words\[0\]: weight must be a number, got None"),
    ([("walk", float("inf"))], r"\('walk'\): weight must be finite and >= 0, got inf"),
    ([("walk", -1e-9)], r"weight must be finite and >= 0"),
    ([("walk", 1.0), ("run", 1.0), ("walk", 2.0)], r"result words\[2\]: duplicate word 'walk'"),
    # a 2-letter string is not a pair, and text or a bool is not a weight
    (["a5"], r"result words\[0\]: expected \(word, weight\), got 'a5'"),
    ([("walk", "0.25")], r"weight must be a number, got '0.25'"),
    ([("walk", True)], r"weight must be a number, got True"),
])
def test_bad_words_name_the_side_and_index(words, message):
    with pytest.raises(ValueError, match=message):
        check_words(words, "result")


# -- word_font -------------------------------------------------------------------------------


@pytest.mark.parametrize(("shared", "expansion", "bold", "italic"), [
    (False, False, False, False), (True, False, True, False),
    (False, True, False, True), (True, True, True, False),  # shared wins over expansion
])
def test_word_font(qapp, shared, expansion, bold, italic):
    base = QFont("DejaVu Sans", 11)
    base.setItalic(True)  # the base's own style is replaced, not kept
    font = word_font(base, shared, expansion)
    assert (font.bold(), font.italic()) == (bold, italic)
    assert font.family() == base.family() and font.pointSize() == 11
    assert not base.bold() and base.italic()  # the base is not changed


# -- RowPainter ------------------------------------------------------------------------------

W, H = 400, 24
WORD_W, VALUE_W, DOT_W = 140, 60, 12
BAR_MAX = W - WORD_W - VALUE_W - 4  # 196 px for the side's heaviest weight
MID = H // 2
TEXT, PLACEHOLDER, HIGHLIGHT = QColor(0, 0, 0), QColor(0, 160, 0), QColor(40, 90, 200)


def _paint(row_kw: dict, shared=False, hovered=False, top=2.0, value_w=VALUE_W) -> QImage:
    img = QImage(W, H, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Text, TEXT)
    pal.setColor(QPalette.ColorRole.PlaceholderText, PLACEHOLDER)
    pal.setColor(QPalette.ColorRole.Highlight, HIGHLIGHT)
    kw = {"side": "query", "word": "kick", "weight": 1.0, "label": "kick", "value": "1.000",
          **row_kw}
    p = QPainter(img)
    try:
        RowPainter(p, QFont("DejaVu Sans", 10), pal, WORD_W, value_w, DOT_W)(
            Row(rect=QRect(0, 0, W, H), **kw), shared, hovered, top)
    finally:
        p.end()
    return img


def _rgb(img: QImage, x: int, y: int) -> tuple[int, int, int]:
    c = img.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def _hex_rgb(hex_: str) -> tuple[int, int, int]:
    c = QColor(hex_)
    return c.red(), c.green(), c.blue()


def _bar(img: QImage) -> tuple[int, tuple[int, int, int] | None]:
    """Width and colour of the run of one colour starting at the bar's left edge."""
    first = _rgb(img, WORD_W, MID)
    if first == _rgb(img, W - 1, MID):  # the row's own background: no bar
        return 0, None
    n = 0
    while WORD_W + n < W and _rgb(img, WORD_W + n, MID) == first:
        n += 1
    return n, first


def _dark(img: QImage, x0: int, x1: int, level: int = 120) -> list[int]:
    """Columns in [x0, x1) holding a pixel darker than ``level``."""
    return [x for x in range(x0, x1) if any(
        QColor(img.pixel(x, y)).value() < level for y in range(H))]


@pytest.mark.parametrize(("weight", "top", "width"), [
    (1.0, 2.0, round(0.5 * BAR_MAX)), (2.0, 2.0, BAR_MAX), (0.3, 2.1, round(0.3 / 2.1 * BAR_MAX)),
    (1e-6, 2.0, 1),  # a weight > 0 keeps a 1 px bar
    (0.7, 0.0, 1),   # no heaviest weight to scale by: 1 px
])
def test_bar_length_is_the_weight_over_the_heaviest(qapp, weight, top, width):
    got, colour = _bar(_paint({"weight": weight}, top=top))
    assert got == width and colour == _hex_rgb(PLAIN_BAR_HEX)


def test_without_weights_the_heaviest_bar_runs_to_the_row_end(qapp):
    """A column too narrow for the weights gives their room to the bars."""
    def bar_px(weight: float) -> int:
        img = _paint({"weight": weight, "value": ""}, value_w=0)
        return sum(_rgb(img, x, MID) == _hex_rgb(PLAIN_BAR_HEX) for x in range(W))

    assert bar_px(2.0) == W - WORD_W > BAR_MAX + VALUE_W  # was BAR_MAX, as with weights
    assert bar_px(1.0) == round(0.5 * (W - WORD_W))


def test_a_zero_weight_has_no_bar(qapp):
    assert _bar(_paint({"weight": 0.0}))[0] == 0


def test_bar_height_leaves_3_px_above_and_below(qapp):
    img = _paint({"weight": 2.0})
    column = [_rgb(img, WORD_W + 5, y) == _hex_rgb(PLAIN_BAR_HEX) for y in range(H)]
    assert column == [False] * 3 + [True] * (H - 6) + [False] * 3


def test_shared_word_on_accent_background_with_accent_bar(qapp):
    img = _paint({"weight": 1.0}, shared=True)
    width, colour = _bar(img)
    assert width == round(0.5 * BAR_MAX) and colour == _hex_rgb(ACCENT_HEX)
    # the background: accent at alpha 40 over white, by hand
    a = 40 / 255
    expected = [round(255 * (1 - a) + c * a) for c in _hex_rgb(ACCENT_HEX)]
    got = _rgb(img, W - 2, 1)
    assert all(abs(g - e) <= 2 for g, e in zip(got, expected)), (got, expected)
    assert _rgb(_paint({"weight": 1.0}), W - 2, 1) == (255, 255, 255)  # not shared: plain


def test_hovered_row_takes_the_light_highlight(qapp):
    want = HIGHLIGHT.lighter(170)
    for shared in (False, True):
        img = _paint({}, shared=shared, hovered=True)
        assert _rgb(img, W - 2, 1) == (want.red(), want.green(), want.blue())


def test_word_is_right_aligned_before_its_bar_and_value_after_it(qapp):
    img = _paint({"weight": 1.0})
    word = _dark(img, 0, WORD_W)
    bar_end = WORD_W + round(0.5 * BAR_MAX)
    assert word and max(word) <= WORD_W - 8 and min(word) > WORD_W // 2  # short word: right
    value = _dark(img, bar_end, W)
    assert value and min(value) >= bar_end + 4 - 1
    assert _dark(_paint({"weight": 1.0, "value": ""}), bar_end, W) == []  # no value: none


def test_expansion_word_is_painted_in_the_placeholder_colour(qapp):
    def darkest(img):
        px = [QColor(img.pixel(x, y)) for x in range(WORD_W) for y in range(H)]
        return min(px, key=lambda c: c.value())

    own = darkest(_paint({}))
    added = darkest(_paint({"expansion": True}))
    assert own.value() < 60  # black text
    assert added.green() > added.red() + 60 and added.green() > added.blue() + 60


def test_shared_word_has_a_dot_left_of_it(qapp):
    """With no label, the only thing painted in the word column of a shared row is its dot
    (a disc of the text colour just left of where the word ends); a plain row has none."""
    shared = _dark(_paint({"label": ""}, shared=True), 0, WORD_W)
    assert shared and len(shared) >= 4 and max(shared) < WORD_W - 8
    assert shared == list(range(shared[0], shared[-1] + 1))  # one disc, no gaps
    assert _dark(_paint({"label": ""}), 0, WORD_W) == []
    # with its word, the dot stands apart from it: columns free of dark pixels between them
    cols = _dark(_paint({"label": "kick"}, shared=True), 0, WORD_W)
    gaps = [b - a - 1 for a, b in zip(cols, cols[1:]) if b - a > 1]
    assert gaps and gaps[0] >= 3
