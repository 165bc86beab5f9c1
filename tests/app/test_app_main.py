"""``motionlex-explorer`` command line: --screenshot runs the query, saves a PNG and exits."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.app.main import build_parser, main


def _distinct_colours(png) -> int:
    import imageio.v3 as iio

    img = iio.imread(png)[..., :3].reshape(-1, 3)
    return len(np.unique(img[:: max(1, len(img) // 50000)], axis=0))


def test_screenshot_with_real_query(qapp, gl_platform, tiny_checkpoint, gallery_index, tmp_path,
                                    capsys, screenshot_dir):
    png = screenshot_dir / "app_cli_screenshot.png"
    code = main(["--gallery", str(gallery_index), "--query", "a person raises both hands",
                 "--screenshot", str(png), "--settings", str(tmp_path / "s.ini"),
                 "--cache", str(tmp_path / "cache"), "--size", "1280x800", "--timeout", "120"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"saved {png}" in out.out
    import imageio.v3 as iio

    img = iio.imread(png)
    assert img.shape[:2] == (800, 1280)
    assert _distinct_colours(png) > 200  # results, 3D view, patch image: not a blank window


def test_screenshot_bad_gallery_exits_with_error(qapp, gl_platform, tmp_path, capsys):
    png = tmp_path / "bad.png"
    missing = tmp_path / "no_such_gallery"
    code = main(["--gallery", str(missing), "--query", "walk", "--screenshot", str(png),
                 "--settings", str(tmp_path / "s.ini"), "--timeout", "60"])
    err = capsys.readouterr().err
    assert code == 1 and png.is_file()
    assert "gallery not found" in err and str(missing) in err and "Traceback" not in err


def test_empty_opens_welcome_page(qapp, gl_platform, tmp_path, capsys):
    png = tmp_path / "empty.png"
    code = main(["--empty", "--screenshot", str(png), "--settings", str(tmp_path / "s.ini")])
    assert code == 0 and png.is_file()


def test_parser_rejects_bad_size(capsys):
    assert main(["--size", "big"]) == 2
    assert "--size must look like" in capsys.readouterr().err
    args = build_parser().parse_args(["--gallery", "g", "--query", "q", "--mode", "dense"])
    assert (args.gallery, args.query, args.mode, args.checkpoint) == ("g", "q", "dense", None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--mode", "bm25"])
