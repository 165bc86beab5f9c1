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


def test_train_and_val_splits_that_share_ids_are_named(shared_data, tmp_path, make_subset,
                                                       caplog):
    """Probe: ``train.txt`` equal to ``val.txt`` passed silently (the model chosen on its own
    training motions)."""
    import logging

    from motionlex.core.data.text_files import warn_shared_split_ids

    assert warn_shared_split_ids(shared_data / "bandai") == []  # the real splits: disjoint
    assert warn_shared_split_ids(shared_data / "cmu_extra") == []  # no split files: nothing
    src = shared_data / "bandai"
    train = src.joinpath("train.txt").read_text().split()[:4]
    val = src.joinpath("val.txt").read_text().split()[:2]
    root = make_subset(src, tmp_path / "ds", train + val,
                       {"train": train, "val": val + train[:3]})
    with caplog.at_level(logging.WARNING, logger="motionlex.core.data.text_files"):
        assert warn_shared_split_ids(root) == train[:3]
    assert (f"{root}: train.txt and val.txt share 3 of its 5 val ids (e.g. "
            f"{', '.join(train[:3])}): the model is chosen on motions it trains on") in caplog.text
