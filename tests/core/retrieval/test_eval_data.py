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
    assert caps["bandai_1_kick_normal_001"].caption == "a person kick"  # action prompt
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


def test_action_prompt():
    assert action_prompt("raise-up-both-hands") == "a person raise up both hands"
    assert action_prompt("walk_fast", "someone {action}") == "someone walk fast"


def test_an_empty_split_file_is_named(shared_data):
    """cmu_kitml's val.txt is empty: the error names it, not "no pair to evaluate"."""
    with pytest.raises(ValueError, match=r"cmu_kitml/val.txt lists no motion: nothing to "
                                         r"evaluate in split 'val'"):
        load_eval_set(shared_data / "cmu_kitml", "val", progress=False)
