"""PatchView on a real motion's patch image: drawing, cursor, clicks, drags, repaints, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patches import MAX_FRAMES, motion_patch_image, part_resampling_matrix
from motionlex.widgets.patch_view import PatchView, time_ticks

FPS = 20.0


@pytest.fixture
def patch_image(humanml3d_joints) -> tuple[np.ndarray, int]:
    """(3, 224, 80) patch image of 000000 (116 real frames, the rest zero padding)."""
    joints = humanml3d_joints["000000"]
    image = motion_patch_image(joints, part_resampling_matrix(SMPL22))
    padded = np.zeros((3, MAX_FRAMES, image.shape[2]), dtype=np.float32)
    padded[:, : image.shape[1]] = image
    return padded, joints.shape[0]


@pytest.fixture
def view(qtbot) -> PatchView:
    w = PatchView()
    w.resize(360, 520)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_shows_real_frames_only_and_cursor_follows(qtbot, view, patch_image, screenshot_dir):
    image, valid = patch_image
    view.set_image(image, valid_frames=valid, fps=FPS)
    rgb = view.image_rgb()
    assert rgb.shape == (valid, 80, 3) and rgb.dtype == np.uint8  # padding not drawn
    assert view.frame == 0
    assert view.set_frame(60) == 60
    assert view.cursor_time() == pytest.approx(60.5 / FPS)
    qtbot.wait(20)
    shot = view.grab().toImage()
    p = view.frame_position(60)
    x, y = p.x(), p.y()
    # the cursor is a white line: the pixel on it is near white, the image 8 px above is not
    on_line = shot.pixelColor(x, y)
    assert min(on_line.red(), on_line.green(), on_line.blue()) > 200
    above = shot.pixelColor(x, y - 8)
    assert min(above.red(), above.green(), above.blue()) < 200
    view.grab().save(str(screenshot_dir / "widget_patch_view.png"))
    # clamped to the real frames
    assert view.set_frame(10_000) == valid - 1
    assert view.set_frame(-3) == 0


def test_click_requests_frame(qtbot, view, patch_image):
    image, valid = patch_image
    view.set_image(image, valid_frames=valid, fps=FPS)
    view.set_frame(30)
    target = view.childAt(view.frame_position(30))  # the canvas viewport under that point
    pos = target.mapFrom(view, view.frame_position(30))
    with qtbot.waitSignal(view.frameRequested, timeout=1000) as blocker:
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [30]


def test_clear_hides_image(view, patch_image):
    image, valid = patch_image
    view.set_image(image, valid_frames=valid)
    view.clear()
    assert view.valid_frames == 0 and view.image_rgb() is None
    assert view.set_frame(5) == 0
    with pytest.raises(ValueError, match="frame must be in"):
        view.frame_position(0)


def test_an_empty_view_says_what_appears_there(qtbot, view, patch_image, screenshot_dir):
    """With no motion the view drew an empty 0-1.0 s time axis: now a hint, in the middle
    of where the image goes, and no tick labels."""
    def dark_pixels(x0: int, x1: int, y0: int, y1: int) -> int:
        shot = view.grab().toImage()
        return sum(1 for x in range(x0, x1, 2) for y in range(y0, y1, 2)
                   if max(shot.pixelColor(x, y).getRgb()[:3]) < 170)

    w, h = view.width(), view.height()
    axis = (0, 40, 40, h - 10)  # the tick labels' column, left of the image
    middle = (60, w - 20, h // 2 - 40, h // 2 + 40)
    qtbot.wait(20)
    assert dark_pixels(*middle) > 20 and dark_pixels(*axis) == 0
    view.grab().save(str(screenshot_dir / "widget_patch_view_empty.png"))
    image, valid = patch_image
    view.set_image(image, valid_frames=valid, fps=FPS)
    qtbot.wait(20)
    assert dark_pixels(*axis) > 20  # the tick labels are back


@pytest.mark.parametrize(
    ("make", "kwargs", "match"),
    [
        (lambda im: im[:, :, :64], {}, "patch image"),
        (lambda im: im, {"valid_frames": 0}, "valid_frames"),
        (lambda im: im, {"valid_frames": MAX_FRAMES + 1}, "valid_frames"),
        (lambda im: im, {"fps": 0.0}, "fps"),
        (lambda im: np.where(np.arange(im.shape[1])[None, :, None] == 3, np.nan, im), {}, "NaN"),
    ],
)
def test_set_image_rejects_bad_input(view, patch_image, make, kwargs, match):
    image, _ = patch_image
    with pytest.raises(ValueError, match=match):
        view.set_image(make(image), **kwargs)


class _PaintRects(QObject):
    """Records the rectangles of the paint events the watched widget gets."""

    def __init__(self) -> None:
        super().__init__()
        self.rects: list = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())
        return False


def test_cursor_moves_repaint_only_thin_strips(qtbot, view, patch_image):
    image, valid = patch_image
    view.set_image(image, valid_frames=valid, fps=FPS)
    qtbot.wait(30)
    canvas = view.childAt(view.frame_position(0))
    spy = _PaintRects()
    canvas.installEventFilter(spy)
    for f in range(1, 40, 3):
        view.set_frame(f)
        qtbot.wait(5)
    canvas.removeEventFilter(spy)
    assert spy.rects  # the cursor was redrawn
    assert max(r.height() for r in spy.rects) <= 2 * 12  # two strips at most, never the image
    # and the strips land where the cursor is: the new cursor line is white
    shot = view.grab().toImage()
    p = view.frame_position(37)
    c = shot.pixelColor(p.x(), p.y())
    assert min(c.red(), c.green(), c.blue()) > 200


def test_drag_scrubs_through_frames(qtbot, view, patch_image):
    image, valid = patch_image
    view.set_image(image, valid_frames=valid, fps=FPS)
    canvas = view.childAt(view.frame_position(10))
    got: list[int] = []
    view.frameRequested.connect(got.append)
    start = canvas.mapFrom(view, view.frame_position(10))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for f in (20, 30):
        pos = QPointF(canvas.mapFrom(view, view.frame_position(f)))
        move = QMouseEvent(
            QEvent.Type.MouseMove,
            pos,
            canvas.mapToGlobal(pos),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(canvas, move)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start)
    assert got == [10, 20, 30]


@pytest.mark.parametrize(("duration", "height"), [(5.8, 480.0), (1.6, 400.0), (11.2, 120.0)])
def test_time_ticks_are_evenly_spaced_and_readable(duration, height):
    ticks = time_ticks(duration, height)
    assert ticks[0] == 0.0 and ticks[-1] <= duration + 1e-9
    steps = np.diff(ticks)
    assert len(ticks) >= 2 and np.allclose(steps, steps[0])
    assert steps[0] * height / duration >= 36.0  # labels at least 36 px apart
    assert duration - ticks[-1] < steps[0]  # no room left for another tick


def test_part_labels_fit_their_blocks_and_keep_their_start(qtbot, view):
    from motionlex.core.motion.skeleton import PART_NAMES
    from motionlex.widgets.patch_view import part_labels

    fm = view.fontMetrics()
    full = fm.horizontalAdvance("right arm") + 8
    assert part_labels(full, fm) == ["torso", "left arm", "right arm", "left leg", "right leg"]
    # "left leg" would fit where "right arm" does not: all short, never a mix
    assert part_labels(fm.horizontalAdvance("right arm") + 2, fm) == [
        "torso", "L arm", "R arm", "L leg", "R leg"]
    assert part_labels(fm.horizontalAdvance("RA") + 6, fm) == ["T", "LA", "RA", "LL", "RL"]
    assert part_labels(fm.horizontalAdvance("L") + 6, fm) == ["T", "L", "R", "L", "R"]
    for width in (20, 40, 55, 70, 90):  # the 1024x640 window gives about 50 px per block
        labels = part_labels(width, fm)
        assert len({len(x) for x in labels[1:] if x != "\u2026"}) <= 2, labels  # one level
        for name, label in zip(PART_NAMES, labels):
            assert fm.horizontalAdvance(label) <= width - 4 or label in ("", "\u2026"), label
            assert label and label[0].lower() == name[0], (name, width, label)
    # the header's tooltip names the part in full
    canvas = next(c for c in view.children() if hasattr(c, "part_at"))
    rect = canvas.image_rect()
    y = rect.top() - 8
    names = [canvas.part_at(QPointF(rect.left() + (i + 0.5) * rect.width() / 5, y).toPoint())
             for i in range(5)]
    assert names == [n.replace("_", " ") for n in PART_NAMES]
    assert canvas.part_at(rect.center()) == ""


@pytest.mark.parametrize("point_size", [8, 10, 14])
def test_tick_labels_clear_the_axis_title(qtbot, view, patch_image, point_size):
    # 4-5 character labels (0.25, 12.25) once ran into the rotated "time (s)" title
    from PySide6.QtGui import QFontMetrics

    from motionlex.widgets import patch_view as pv

    image, valid = patch_image
    font = view.font()
    font.setPointSize(point_size)
    view.setFont(font)
    view.set_image(image, valid_frames=valid, fps=FPS)
    canvas = next(c for c in view.children() if hasattr(c, "axis_width"))
    fm = QFontMetrics(canvas.font())
    title_right = pv._MARGINS[0] + 1 + fm.height()
    label_right = canvas.image_rect().left() - 1 - pv._TICK_LEN - 3
    for label in ("0.25", "1.25", "12.25"):
        assert label_right - fm.horizontalAdvance(label) >= title_right, (point_size, label)
