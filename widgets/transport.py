"""The skeleton player's transport bar: play/pause, scrub slider, frame/time read-out,
speed, loop and follow-root.

A plain holder of the controls (no logic of its own): :class:`SkeletonView` owns it, wires
its signals to the player and writes the player's state back with echo blocked (napari's
pattern: ``napari/_qt/layer_controls/qt_layer_controls_base.py``).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Playback speeds offered in the speed box (multiples of real time)."""

MIN_SLIDER_WIDTH = 80
"""The scrub slider never gets narrower than this, pixels (at 1024x640 it had none left)."""

MIN_BAR_WIDTH = 240
"""Narrowest the bar (and so the 3D view) gets, pixels: below the width its every control
needs, the speed box and the loop and follow boxes go (the Playback menu and ``[`` / ``]``
have them), so that the window fits 800 px (the bar held the 3D view at 411 px)."""

_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")


def _time_text(frame: int, num_frames: int, fps: float) -> str:
    """The read-out: ``"16/107  0.75 s"`` (1-based frame, time of the frame in seconds)."""
    return f"{frame + 1}/{num_frames}  {frame / fps:.2f} s"


class ScrubSlider(QSlider):
    """A slider whose groove, clicked with the left button, jumps to the frame under the
    pointer (a plain :class:`QSlider` steps a page of 10 frames towards it), then drags
    from there: the scrub bar of video players."""

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                 QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                     QStyle.SubControl.SC_SliderGroove, self)
                span = max(1, groove.width() - handle.width())
                x = int(event.position().x()) - groove.x() - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), x, span, opt.upsideDown))
        super().mousePressEvent(event)  # on the handle now: a drag starts from here


class TransportBar:
    """The player's controls, children of ``parent``, laid out in :attr:`layout`.

    Args:
        parent: the player widget (parent of every control).
        loop: initial state of the loop box.
    """

    def __init__(self, parent: QWidget, loop: bool) -> None:
        self.parent = parent
        self.play_button = QToolButton(parent)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setToolTip("Play / pause (space)")
        self.slider = ScrubSlider(Qt.Orientation.Horizontal, parent)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setToolTip("Scrub (left/right arrows step one frame)")
        self.slider.setMinimumWidth(MIN_SLIDER_WIDTH)
        self.time_label = QLabel(parent)
        self.time_label.setToolTip("frame / frames   time")
        # a fixed size: the text changes every frame, and a label whose size hint changes
        # asks the whole window to lay out again (a second repaint of every frame); it is
        # sized once per motion (set_range) for that motion's longest read-out
        self._size_time_label(1000, 20.0)
        self.speed_box = QComboBox(parent)
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_box.setToolTip("Playback speed")
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}x", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.loop_box = QCheckBox("loop", parent)
        self.loop_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.loop_box.setChecked(loop)
        self.loop_box.setToolTip("Start again from the first frame at the end (else "
                                 "playback stops on the last frame)")
        self.follow_box = QCheckBox("follow", parent)
        self.follow_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.follow_box.setToolTip("Camera follows the body instead of framing the whole "
                                   "path (on by default for a motion that travels, such as "
                                   "a walk or a run)")

        self.layout = QHBoxLayout()
        self.layout.setContentsMargins(4, 2, 4, 2)
        self.layout.setSpacing(4)  # the same inside the player as on its own (fit)
        self.layout.addWidget(self.play_button)
        self.layout.addWidget(self.slider, 1)
        self.layout.addWidget(self.time_label)
        self.layout.addWidget(self.speed_box)
        self.layout.addWidget(self.loop_box)
        self.layout.addWidget(self.follow_box)
        # dropped right to left when the bar is narrow (fit), kept in the Playback menu;
        # loop and follow together: one without the other read as a bar half laid out
        self._optional = ((self.speed_box,), (self.loop_box, self.follow_box))

    def fit(self, width: int) -> None:
        """Show the optional controls (the speed box, then the loop and follow boxes, a
        pair shown or hidden together) that fit in a bar ``width`` pixels wide beside the
        play button, the slider at :data:`MIN_SLIDER_WIDTH` and the read-out; hide the
        others. With none left, the slider gives up to half its minimum so that the bar
        fits :data:`MIN_BAR_WIDTH` (the read-out of a long motion is wider). Fitted again
        when the read-out's width changes (:meth:`set_range`): a window of one width
        showed "loop" alone after a resize and neither before it (GUI audit B #13)."""
        margins = self.layout.contentsMargins()
        gap = max(0, self.layout.spacing())
        fixed = (margins.left() + margins.right() + self.play_button.sizeHint().width()
                 + self.time_label.width() + 2 * gap)
        used, room = fixed + MIN_SLIDER_WIDTH, True
        for group in self._optional:
            used += sum(gap + w.sizeHint().width() for w in group)
            room = room and used <= width
            for w in group:
                if w.isHidden() == room:  # only a change: a hide or show asks for a layout
                    w.setVisible(room)
        slider = max(MIN_SLIDER_WIDTH // 2, min(MIN_SLIDER_WIDTH, width - fixed))
        if slider != self.slider.minimumWidth():
            self.slider.setMinimumWidth(slider)

    def set_range(self, num_frames: int, fps: float = 20.0) -> None:
        """Slider range for a timeline of ``num_frames`` frames (no signal); the read-out
        is sized for the timeline's longest text."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, num_frames - 1))
        self.slider.blockSignals(False)
        self._size_time_label(num_frames, fps)

    def _size_time_label(self, num_frames: int, fps: float) -> None:
        n = max(1, num_frames)
        widest = _time_text(n - 1, n, fps).translate(_DIGITS_TO_ZERO)  # "0" is the widest digit
        width = max(self.time_label.fontMetrics().horizontalAdvance(widest),
                    self.time_label.fontMetrics().horizontalAdvance("no motion")) + 8
        if width != self.time_label.width():
            self.time_label.setFixedSize(width, self.time_label.sizeHint().height())
            if hasattr(self, "layout"):  # built: the room beside it changed, fit again
                self.fit(self.parent.width())

    def show_frame(self, frame: int, num_frames: int, fps: float) -> None:
        """Slider position and read-out (``frame+1/num_frames  seconds``), no signal."""
        with QSignalBlocker(self.slider):
            self.slider.setValue(frame)
        self.show_time(frame, num_frames, fps)

    def show_time(self, frame: int, num_frames: int, fps: float) -> None:
        """The frame/time read-out, or ``no motion`` for an empty timeline."""
        if num_frames == 0:
            self.time_label.setText("no motion")
            return
        self.time_label.setText(_time_text(frame, num_frames, fps))

    def show_playing(self, playing: bool, enabled: bool) -> None:
        """Play/pause icon, and whether the controls take input (a motion is shown)."""
        pixmap = QStyle.StandardPixmap
        icon = pixmap.SP_MediaPause if playing else pixmap.SP_MediaPlay
        self.play_button.setIcon(self.parent.style().standardIcon(icon))
        for w in (self.play_button, self.slider, self.speed_box):
            w.setEnabled(enabled)

    def show_speed(self, speed: float) -> None:
        """Select ``speed`` in the speed box when it is one of :data:`SPEEDS` (no signal)."""
        if speed in SPEEDS:
            with QSignalBlocker(self.speed_box):
                self.speed_box.setCurrentIndex(SPEEDS.index(speed))

    def show_checks(self, loop: bool, follow: bool) -> None:
        """The loop and follow boxes (no signal)."""
        with QSignalBlocker(self.loop_box):
            self.loop_box.setChecked(loop)
        with QSignalBlocker(self.follow_box):
            self.follow_box.setChecked(follow)
