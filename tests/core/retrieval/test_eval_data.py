"""The pairs an evaluation reads: BVH folders on their native skeletons."""

from __future__ import annotations

import shutil

import pytest

from motionlex.core.data.bvh_folders import action_prompt
from motionlex.core.retrieval.eval_data import load_eval_set


def test_load_eval_set_reads_bvh_on_native_skeletons(shared_data, tmp_path):
    raw = shared_data / "raw_bvh"
    folder = tmp_path / "bvh"
    folder.mkdir()
    for name in ("cmu_07_03_daz.bvh", "cmu_08_01_daz.bvh", "bandai_1_kick_normal_001.bvh"):
        shutil.copy(raw / name, folder)
    shutil.copy(raw / "bandai_1_bow_normal_001.bvh", folder / "mystery.bvh")
    shutil.copy(raw / "index.json", folder)
    (folder / "cmu_08_01_daz.txt").write_text("a man strolls forward and then stops.#x#0.0#0.0\n")
    ev = load_eval_set(folder, "val", progress=False)
    caps = {e.motion_id: e for e in ev.examples}
    assert set(caps) == {"cmu_07_03_daz", "cmu_08_01_daz", "bandai_1_kick_normal_001"}
    assert caps["cmu_07_03_daz"].caption == "A person walks forward."  # index.json kitml_caption
    assert caps["cmu_08_01_daz"].caption.startswith("a man strolls")  # sidecar wins
    assert len(caps["cmu_08_01_daz"].events) == 2
    assert caps["bandai_1_kick_normal_001"].caption == "a person kicks"  # action prompt
    assert caps["bandai_1_kick_normal_001"].label == "kick"
    assert caps["cmu_07_03_daz"].skeleton.num_joints == 45  # native (43 + 2 End Site toes)
    assert caps["bandai_1_kick_normal_001"].skeleton.num_joints == 21  # joint_Root dropped
    assert ev.split == "all" and any("mystery.bvh" in n for n in ev.notes)
    # the kick's caption is its action label through the prompt: the report says so
    assert any(n.startswith("1 caption(s) written from the file's action label") for n in
               ev.notes)


def test_a_bad_sidecar_caption_skips_its_take_only(shared_data, tmp_path):
    """A wordless sidecar line once stopped the whole evaluation; now the line is left out
    (a note), and a take left with no caption is skipped, saying its sidecar holds none."""
    raw = shared_data / "raw_bvh"
    folder = tmp_path / "bvh"
    folder.mkdir()
    for name in ("cmu_07_03_daz.bvh", "cmu_08_01_daz.bvh"):
        shutil.copy(raw / name, folder)
    shutil.copy(raw / "index.json", folder)
    (folder / "cmu_08_01_daz.txt").write_text("...!!!#x#0.0#0.0\n")
    ev = load_eval_set(folder, "all", progress=False)
    assert {e.motion_id for e in ev.examples} == {"cmu_07_03_daz"}
    left, skipped = [n for n in ev.notes if "cmu_08_01_daz" in n]
    assert left.startswith("caption left out: ") and "has no words" in left
    assert skipped == "skipped cmu_08_01_daz.bvh: cmu_08_01_daz.txt holds no caption"


def test_a_bvh_split_file_a_broken_take_and_a_span_past_the_end(shared_data, tmp_path, caplog):
    """A BVH folder with ``test.txt``: only the takes it lists are read; a listed take whose
    file is broken is skipped with a note naming it; a sidecar caption whose span lies past
    the end of its take is left out (a note of the report, and warned), the take's other
    caption kept."""
    import logging

    raw = shared_data / "raw_bvh"
    folder = tmp_path / "bvh"
    folder.mkdir()
    for name in ("cmu_07_03_daz.bvh", "cmu_08_01_daz.bvh", "bandai_1_kick_normal_001.bvh"):
        shutil.copy(raw / name, folder)
    shutil.copy(raw / "index.json", folder)
    text = (raw / "bandai_1_bow_normal_001.bvh").read_text()
    (folder / "bandai_1_bow_normal_001.bvh").write_text(text[: len(text) // 3])  # cut short
    (folder / "test.txt").write_text("cmu_08_01_daz\nbandai_1_bow_normal_001\n"
                                     "bandai_1_kick_normal_001\n")
    (folder / "cmu_08_01_daz.txt").write_text("a man walks forward.#x#0.0#0.0\n"
                                              "a man dances.#x#500.0#510.0\n")
    with caplog.at_level(logging.WARNING):
        ev = load_eval_set(folder, "test", progress=False)
    assert ev.split == "test"
    assert sorted(e.motion_id for e in ev.examples) == ["bandai_1_kick_normal_001",
                                                        "cmu_08_01_daz"]  # not cmu_07_03
    assert [e.caption for e in ev.examples if e.motion_id == "cmu_08_01_daz"] == [
        "a man walks forward."]
    broken = [n for n in ev.notes if "bandai_1_bow_normal_001" in n]
    assert len(broken) == 1 and broken[0].startswith("skipped bandai_1_bow_normal_001.bvh: ")
    span = [n for n in ev.notes if "'a man dances.'" in n]  # in the report, and warned
    assert len(span) == 1 and span[0].startswith("caption left out: 'a man dances.': ")
    assert "span 500.00-510.00 s starts after the clip's end" in span[0]
    assert any(span[0] in r.getMessage() for r in caplog.records)


def test_action_prompt():
    # a class prompt keeps the label as it is (the paper's "A person {action}")
    assert action_prompt("raise-up-both-hands") == "a person raise up both hands"
    assert action_prompt("walk_fast", "someone {action}") == "someone walk fast"
    # a caption made from a label: its first verb agrees with the subject, as datasets
    # write captions ("a person bows."); a label that starts with no base verb stays
    assert action_prompt("raise-up-both-hands", inflect=True) == "a person raises up both hands"
    assert action_prompt("walk_fast", "someone {action}", inflect=True) == "someone walks fast"
    assert action_prompt("dash", inflect=True) == "a person dashes"
    assert action_prompt("bye", inflect=True) == "a person bye"
    assert action_prompt("walking", inflect=True) == "a person walking"
    assert action_prompt("bow", "{action}", inflect=True) == "bow"  # no subject: as it is


def test_an_empty_split_file_is_named(shared_data):
    """cmu_kitml's val.txt is empty: the error names it, not "no pair to evaluate"."""
    with pytest.raises(ValueError, match=r"cmu_kitml/val.txt lists no motion: nothing to "
                                         r"evaluate in split 'val'"):
        load_eval_set(shared_data / "cmu_kitml", "val", progress=False)
