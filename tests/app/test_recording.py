"""recording: the GIF/MP4 writer (its frames come from app/exporter.py)."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.app.recording import VideoWriter


def test_gif_writer_frames_and_timing(tmp_path):
    import imageio.v3 as iio

    rng = np.random.default_rng(0)
    w = VideoWriter(tmp_path / "a.gif", fps=20)
    frames = [rng.integers(0, 255, (30, 40, 4), dtype=np.uint8) for _ in range(6)]
    for f in frames:
        w.append(f)
    out = w.close()
    back = iio.imread(out, index=None)
    assert back.shape[:3] == (6, 30, 40)
    assert iio.immeta(out, index=0)["duration"] == 50  # 20 fps = 50 ms per frame
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]  # no temporary left


def test_video_writer_errors(tmp_path):
    with pytest.raises(ValueError, match="writes .gif or .mp4"):
        VideoWriter(tmp_path / "a.avi", fps=20)
    with pytest.raises(ValueError, match="fps must be"):
        VideoWriter(tmp_path / "a.gif", fps=0)
    w = VideoWriter(tmp_path / "a.gif", fps=20)
    with pytest.raises(ValueError, match="frame must be"):
        w.append(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="no frames"):
        w.close()
    assert not list(tmp_path.iterdir())


def test_mp4_frames_size_and_rate(tmp_path):
    """imageio-ffmpeg is a dependency: the MP4 reads back with its frames, their order, an
    even size (H.264 4:2:0 needs one: 33 x 41 is cropped to 32 x 40) and 20 fps."""
    import imageio.v2 as iio2

    w = VideoWriter(tmp_path / "a.mp4", fps=20)
    levels = [20, 60, 100, 140, 180]
    for level in levels:
        w.append(np.full((33, 41, 3), level, np.uint8))
    out = w.close()
    reader = iio2.get_reader(str(out), format="FFMPEG")
    assert reader.get_meta_data()["fps"] == pytest.approx(20.0)
    frames = list(reader.iter_data())  # list(reader) asks len(): inf for MP4
    reader.close()
    assert len(frames) == 5 and frames[0].shape == (32, 40, 3)
    # lossy, but each frame keeps its grey level (to a few units), so their order too
    assert [abs(float(f.mean()) - lv) < 4 for f, lv in zip(frames, levels)] == [True] * 5
    assert [q.name for q in tmp_path.iterdir()] == ["a.mp4"]


def test_abort_keeps_the_old_file_and_a_folder_is_refused(tmp_path):
    old = tmp_path / "a.gif"
    old.write_bytes(b"previous export")
    w = VideoWriter(old, fps=20)
    w.append(np.zeros((8, 8, 3), np.uint8))
    w.abort()
    assert old.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]
    (tmp_path / "b.gif").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        VideoWriter(tmp_path / "b.gif", fps=20)
