"""Cross-skeleton agreement on the real Bandai BVH takes and their SMPL-22 conversions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlex.core.motion.files import load_motion_file
from motionlex.core.retrieval.embed import encode_motions
from motionlex.core.retrieval.xskel import bvh_conversions, cross_skeleton_report


def test_bvh_conversions_match_takes_by_meta(shared_data):
    pairs, notes = bvh_conversions(shared_data / "raw_bvh", shared_data / "bandai")
    ids = {cid for _, cid, _ in pairs}
    # bandai/ has no conversion of the 20-frame dash take; the CMU files are not Bandai takes
    assert ids == {"bn1_bow_normal_001", "bn1_kick_normal_001", "bn1_punch_normal_001",
                   "bn2_raise-up-both-hands_normal_001", "bn2_wave-right-hand_normal_001"}
    assert ("bn2_wave-right-hand_normal_001", "wave-right-hand") in {(c, a) for _, c, a in pairs}
    assert any("dash" in n for n in notes) and len(notes) == 5


def test_cmu_takes_find_their_kitml_conversions(shared_data):
    """raw_bvh/index.json names each CMU take's KIT-ML id (``kitml_id``); cmu_kitml holds
    them. They have no action label: left out of the action figures, not "None"."""
    pairs, notes = bvh_conversions(shared_data / "raw_bvh", shared_data / "cmu_kitml")
    assert [(p.name, c, a) for p, c, a in pairs] == [
        ("cmu_05_16_iclone.bvh", "02628", ""), ("cmu_07_03_daz.bvh", "02702", ""),
        ("cmu_08_01_daz.bvh", "02715", ""), ("cmu_10_04_daz.bvh", "02831", "")]
    assert len(notes) == 6 and all("bandai_" in n for n in notes)


def test_bvh_conversions_take_an_explicit_id_and_fail_clearly(shared_data, tmp_path):
    (tmp_path / "index.json").write_text(json.dumps(
        {"x.bvh": {"file": "bandai_1_bow_normal_001.bvh", "id": "bn1_kick_normal_001"}}))
    (tmp_path / "bandai_1_bow_normal_001.bvh").symlink_to(
        shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh")
    pairs, _ = bvh_conversions(tmp_path, shared_data / "bandai")
    assert [(p.name, c, a) for p, c, a in pairs] == [
        ("bandai_1_bow_normal_001.bvh", "bn1_kick_normal_001", "kick")]
    with pytest.raises(FileNotFoundError, match="meta.json"):
        bvh_conversions(tmp_path, tmp_path)
    (tmp_path / "index.json").write_text("[]")
    with pytest.raises(ValueError, match="object"):
        bvh_conversions(tmp_path, shared_data / "bandai")


def test_cross_skeleton_report_keys_and_ranges(shared_data, model, stats):
    pairs, _ = bvh_conversions(shared_data / "raw_bvh", shared_data / "bandai")
    pairs = pairs[:2]
    gal_ids = ["bn1_walk_normal_001", pairs[0][1]]  # a conversion already in the gallery
    gallery = [(i, load_motion_file(shared_data / "bandai" / "new_joints" / f"{i}.npy"), a)
               for i, a in zip(gal_ids, ["walk", pairs[0][2]])]
    out = cross_skeleton_report(model, stats, pairs, shared_data / "bandai", gallery)
    assert out["xskel/n"] == 2
    # the same figures from one-at-a-time embeddings: rows walk, conv0, conv1, bvh0, bvh1
    paths = [shared_data / "bandai" / "new_joints" / f"{i}.npy"
             for i in ("bn1_walk_normal_001", pairs[0][1], pairs[1][1])] + [p for p, _, _ in pairs]
    emb = np.concatenate([encode_motions(model, [(m.joints, m.skeleton)], stats,
                                         long_clips="first").dense
                          for m in map(load_motion_file, paths)])
    sim = emb @ emb.T
    conv, bvh = [1, 2], [3, 4]

    def rank(q: int, target: int) -> int:  # 1 + others nearer than the target, self left out
        return 1 + sum(sim[q, j] > sim[q, target] for j in range(5) if j not in (q, target))

    r_bvh = [rank(b, c) for b, c in zip(bvh, conv)]
    r_npy = [rank(c, b) for b, c in zip(bvh, conv)]
    assert out["xskel/bvh->npy/R@1"] == pytest.approx(50.0 * sum(r == 1 for r in r_bvh))
    assert out["xskel/npy->bvh/R@1"] == pytest.approx(50.0 * sum(r == 1 for r in r_npy))
    assert out["xskel/mutual@1"] == pytest.approx(
        50.0 * sum(a == 1 and b == 1 for a, b in zip(r_bvh, r_npy)))
    assert out["xskel/bvh->npy/MedR"] == pytest.approx(float(np.median(r_bvh)))
    assert out["xskel/cosine"] == pytest.approx(
        float(np.mean([sim[b, c] for b, c in zip(bvh, conv)])), abs=1e-4)
    assert 0 <= out["xskel/action@5"] <= 100
    # a bow and a kick take over a walk: no other motion of their action to find
    assert out["xskel/action@5/others/n"] == 0 and "xskel/npy_action@5" not in out
    # gallery of 3 motions (walk + 2 conversions) + 2 BVH, the query left out: rank <= 4
    assert 1 <= out["xskel/bvh->npy/MedR"] <= 4 and -1 <= out["xskel/cosine"] <= 1
    assert out["xskel/mutual@1"] <= min(out["xskel/bvh->npy/R@1"], out["xskel/npy->bvh/R@1"])
    assert cross_skeleton_report(model, stats, [], shared_data / "bandai", gallery) == {}


def test_action_at5_others_counts_only_takes_with_their_action_in_the_gallery(
        shared_data, model, stats):
    """A take whose action has no motion in the gallery besides its own conversion cannot
    find one: it is left out of ``action@5/others`` (Bandai val holds no bow, kick or punch)."""
    pairs, _ = bvh_conversions(shared_data / "raw_bvh", shared_data / "bandai")
    wave = [p for p in pairs if p[2] == "wave-right-hand"]
    bow = [p for p in pairs if p[2] == "bow"]
    gal = [("bn2_wave-right-hand_normal_002", "wave-right-hand"), ("bn1_walk_normal_001", "walk")]
    gallery = [(i, load_motion_file(shared_data / "bandai" / "new_joints" / f"{i}.npy"), a)
               for i, a in gal]
    out = cross_skeleton_report(model, stats, wave + bow, shared_data / "bandai", gallery)
    assert out["xskel/n"] == 2 and out["xskel/action@5/others/n"] == 1
    # gallery of 4 motions: the wave take's top 5 holds every one of them, so its action too
    assert out["xskel/action@5/others"] == 100.0 and out["xskel/npy_action@5"] == 100.0
    out = cross_skeleton_report(model, stats, bow, shared_data / "bandai", gallery)
    assert out["xskel/action@5/others/n"] == 0 and "xskel/action@5/others" not in out
    assert out["xskel/action@5"] == 100.0  # its own conversion is in the gallery


def test_takes_without_action_labels_get_no_action_figure(shared_data, model, stats):
    """The CMU takes carry captions, no action label: no "action@5" of 0 pretending to be
    measured, the pair figures still are."""
    pairs, _ = bvh_conversions(shared_data / "raw_bvh", shared_data / "cmu_kitml")
    out = cross_skeleton_report(model, stats, pairs[:2], shared_data / "cmu_kitml", [])
    assert out["xskel/n"] == 2 and "xskel/action@5" not in out
    assert 0 <= out["xskel/bvh->npy/R@1"] <= 100

