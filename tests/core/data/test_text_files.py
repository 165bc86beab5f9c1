"""Line breaks in a dataset's text files (core/data/text_files.py): a caption, split or
caption-bank line ends at ``\\n``, ``\\r\\n`` or ``\\r`` only."""

from __future__ import annotations

import pytest

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.text_files import read_captions, read_split, text_lines
from motionlex.core.retrieval.describe import read_bank_file

# characters str.splitlines() breaks a line at, besides \n and \r
INNER = ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("sep", INNER)
def test_a_caption_holding_a_unicode_line_separator_stays_one_caption(shared_data, tmp_path,
                                                                      make_subset, sep):
    """Probe: "a person raises both hands<U+2028>and then lowers them slowly" was read as two
    captions, and ``scan`` counted 7 captions for 5 one-line files."""
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:3]
    root = make_subset(src, tmp_path / "sep", ids)
    cap = root / "texts" / f"{ids[0]}.txt"
    lines = cap.read_text(encoding="utf-8").split("\n")
    text, rest = lines[0].split("#", 1)
    cap.write_text("\r\n".join([f"{text}{sep}and then stands still#{rest}", *lines[1:]]),
                   encoding="utf-8")
    read = read_captions(cap)
    assert len(read) == len([ln for ln in lines if ln.strip()])
    assert read[0].text.startswith(text) and read[0].text.endswith("and then stands still")
    samples, report = MotionDataset(root, "all").scan()
    assert report.kept == 3
    assert len(samples[0].captions) == len(read_captions(src / "texts" / f"{ids[0]}.txt"))


def test_split_and_bank_files_break_at_newlines_only(tmp_path):
    split = tmp_path / "val.txt"
    split.write_text("a\u2028b\r\nc\rd\n\x0ce\n", encoding="utf-8")
    assert read_split(split) == ["a\u2028b", "c", "d", "e"]  # strip() drops the form feed
    bank = tmp_path / "bank.txt"
    bank.write_text("# mine\na person waves\x1cthen sits\r\na person walks\n", encoding="utf-8")
    assert read_bank_file(bank) == ["a person waves\x1cthen sits", "a person walks"]
    assert text_lines("a\r\nb\rc\nd\u2028e\x85f") == ["a", "b", "c", "d\u2028e\x85f"]
