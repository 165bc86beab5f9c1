"""texts: the About box and the gallery label from plain infos."""

from __future__ import annotations

import numpy as np

from motionlex.app.messages import GalleryInfo, ModelInfo
from motionlex.app.texts import (
    APP_TITLE,
    DEMO_BANNER_TEXT,
    MAX_SKIPPED_LISTED,
    about_html,
    gallery_label,
    gallery_tooltip,
)


def test_about_names_model_device_gallery():
    assert "none loaded" in about_html(None, None) and "none open" in about_html(None, None)
    m = ModelInfo("/ckpt", "tiny", "cpu", "CPU (x)", 32, 30522, 2_500_000)
    g = GalleryInfo("/g.mlx", "/g", 1200, [], [], np.zeros(0), True, synthetic=True)
    html = about_html(m, g)
    assert APP_TITLE in html and "2.5 M parameters" in html and "30,522 words" in html
    assert "CPU (x)" in html and "1,200 motions" in html
    assert gallery_label(g) == "gallery: 1,200 motions (synthetic demo)"
    assert "synthetic demo" in html and "/g.mlx" not in html  # not its cache folder
    real = GalleryInfo("/cache/bandai-1a2b.mlx", "/data/bandai", 3002, [], [], np.zeros(0),
                       True)
    html = about_html(m, real)
    assert "<tt>/data/bandai</tt>" in html and "index <tt>/cache/bandai-1a2b.mlx</tt>" in html
    assert "1,200 procedural motions" in DEMO_BANNER_TEXT.format(size=1200)


def test_the_gallery_label_names_skipped_files():
    skipped = [(f"bad_{i}.npy", "not a NumPy .npy array file") for i in range(25)]
    g = GalleryInfo("/g.mlx", "/data", 1, [], [], np.zeros(0), True, skipped=skipped)
    assert gallery_label(g) == "gallery: 1 motion, 25 skipped"
    tip = gallery_tooltip(g)
    assert "25 files left out:" in tip and "bad_0.npy: not a NumPy .npy array file" in tip
    assert f"bad_{MAX_SKIPPED_LISTED - 1}.npy" in tip and f"bad_{MAX_SKIPPED_LISTED}.npy" not in tip
    assert tip.endswith(f"... and {25 - MAX_SKIPPED_LISTED} more")
    clean = GalleryInfo("/g.mlx", "/data", 2, [], [], np.zeros(0), True)
    assert gallery_label(clean) == "gallery: 2 motions" and "left out" not in gallery_tooltip(clean)
    one = GalleryInfo("/g.mlx", "/data", 1, [], [], np.zeros(0), True, skipped=skipped[:1])
    assert "\n1 file left out:" in gallery_tooltip(one)  # it read "1 files left out"


def test_the_welcome_pages_terminal_command_pastes_as_it_reads() -> None:
    """The command was a wrapped paragraph: Qt broke it after "--" ("--" / "checkpoint DIR"
    on two lines). In a <pre> block each option stays whole and the line break is a shell
    continuation, so the two lines paste as one command."""
    import re
    import shlex

    from motionlex.app.texts import welcome_text

    block = re.search(r"<pre>(.*?)</pre>", welcome_text(), re.S).group(1)
    command = block.replace("\\\n", " ")
    assert shlex.split(command) == ["motionlex-explorer", "--checkpoint", "DIR", "--gallery",
                                    "PATH", "--query", "a person waves"]


def test_the_demo_banner_text_says_how_long_hide_lasts():
    """"hide" puts the banner away until the next demo gallery opens (the window shows it
    for every synthetic gallery): its docstring says so (review 36 #25)."""
    import ast
    from pathlib import Path

    from motionlex.app import texts

    body = ast.parse(Path(texts.__file__).read_text(encoding="utf-8")).body
    at = next(i for i, node in enumerate(body) if isinstance(node, ast.Assign)
              and getattr(node.targets[0], "id", None) == "DEMO_BANNER_TEXT")
    doc = " ".join(body[at + 1].value.value.split())
    assert "until the next demo gallery opens" in doc, doc


def test_the_opening_page_names_the_query_that_waits():
    """GUI audit B #7: a query typed while a gallery indexed was searched a minute later,
    with nothing on the page saying it would be."""
    from motionlex.app.texts import opening_text

    page = opening_text("Opening bandai", 1280, 3002, query="a person <waves>")
    assert "1,280 of 3,002" in page
    assert "Then searches \u201ca person &lt;waves&gt;\u201d" in page
    assert "Then searches" not in opening_text("Opening bandai", 5, 10)
