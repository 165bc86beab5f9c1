"""WrapLabel: a word-wrapped label whose least height follows its text and width."""

from __future__ import annotations

from motionlex.widgets.wrap_label import WrapLabel


def test_least_height_follows_text_and_width(qtbot):
    label = WrapLabel()
    qtbot.addWidget(label)
    label.resize(200, 20)
    label.show()
    qtbot.waitExposed(label)
    line = label.fontMetrics().lineSpacing()
    label.setText("word " * 60)
    qtbot.wait(20)
    tall = label.minimumHeight()
    assert tall == label.heightForWidth(label.width()) and tall >= 4 * line
    label.resize(400, label.height())
    qtbot.wait(20)
    assert label.minimumHeight() < tall  # wider: fewer lines
    label.setText("one line")  # shorter text: it shrinks again, never only grows
    qtbot.wait(20)
    assert label.minimumHeight() <= line + 2 * label.margin() + 2
    label.setText("")
    assert label.minimumHeight() == 0
