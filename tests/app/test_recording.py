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


def test_mp4_needs_imageio_ffmpeg(tmp_path):
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="imageio-ffmpeg"):
            VideoWriter(tmp_path / "a.mp4", fps=20)
        assert not list(tmp_path.iterdir())
        return
    w = VideoWriter(tmp_path / "a.mp4", fps=20)
    for _ in range(5):
        w.append(np.full((33, 41, 3), 128, np.uint8))  # odd sizes are cropped to even
    assert w.close().stat().st_size > 0


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
