"""Built-in demo gallery: synthesised actions, captions, compositions, mirroring, dataset on disk.

The body's kinematics are tested in test_kinematics.py."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import find_peaks

from motionlex.core.cache import cache_dir
from motionlex.core.data.composition import chronology_test_set, composition_pool
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.demo import actions, captions, kinematics, synthesis
from motionlex.core.data.demo import gallery as demo
from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.motion import CANONICAL_FPS, facing_direction, mirror_motion
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patch_batches import patches_from_joints
from motionlex.core.patches import part_resampling_matrix
from motionlex.core.text.events import split_events_batch
from motionlex.core.text.sides import mirror_caption

PARENTS = list(SMPL22.parents[1:])
HEAD, L_WRIST, R_WRIST, L_ANKLE, R_ANKLE = 15, 20, 21, 7, 8
WRIST = {"left": L_WRIST, "right": R_WRIST}
ANKLE = {"left": L_ANKLE, "right": R_ANKLE}
OTHER = {"left": "right", "right": "left"}


@pytest.fixture(scope="module")
def gallery():
    """The default gallery (seed 0) and the seconds it took to generate."""
    t0 = time.perf_counter()
    items = demo.demo_items()
    return items, time.perf_counter() - t0


@pytest.fixture(scope="module")
def small():
    return demo.demo_items(n_single=13, n_composed=3, seed=5)


# ----------------------------------------------------------------------------- helpers
def _bones(joints: np.ndarray) -> np.ndarray:
    """(T, 21) bone lengths, metres."""
    j = np.asarray(joints, np.float64)
    return np.linalg.norm(j[:, 1:] - j[:, PARENTS], axis=-1)


def _yaw(pose: np.ndarray) -> float:
    f = facing_direction(pose, SMPL22)
    return math.degrees(math.atan2(f[0], f[2]))


def _runs(mask: np.ndarray) -> int:
    """Number of runs of True."""
    m = np.asarray(mask, np.int8)
    return int(np.sum(np.diff(np.concatenate([[0], m])) == 1))


def _foot_slide(joints: np.ndarray, floor: float = 0.01) -> np.ndarray:
    """Horizontal speed (m/s) of each foot's lowest point over frames it stays on the floor."""
    j = np.asarray(joints, np.float64)
    out = []
    for heel, toe in ((L_ANKLE, 10), (R_ANKLE, 11)):
        heel_y = j[:, heel, 1] - (kinematics.REST_POSE[heel, 1] - kinematics.REST_POSE[10, 1])
        low = np.where(j[:, toe, 1] < heel_y, toe, heel)
        on = np.minimum(heel_y, j[:, toe, 1]) < floor
        for t in np.flatnonzero(on[1:] & on[:-1]) + 1:
            k = low[t]
            out.append(np.linalg.norm(j[t, k, [0, 2]] - j[t - 1, k, [0, 2]]) * CANONICAL_FPS)
    return np.asarray(out)


def check_signature(label: str, p: dict, joints: np.ndarray) -> None:
    """Assert the measurable signature of one single action with parameters ``p``."""
    j = np.asarray(joints, np.float64)
    root, y = j[:, 0], j[:, 0, 1]
    stand = y[0] if label != "stand-up" else y[-1]
    disp = root[-1, [0, 2]] - root[0, [0, 2]]
    side = p.get("side")
    if label == "walk":
        if p["direction"] == "circle":
            path = np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=1).sum()
            turned = np.degrees(np.unwrap(np.radians([_yaw(f) for f in j])))
            assert path >= 1.0 and np.linalg.norm(disp) < 0.5
            assert turned[-1] - turned[0] == pytest.approx(360.0 if side == "left" else -360.0,
                                                           abs=15.0)
        else:
            sign = 1.0 if p["direction"] == "forward" else -1.0
            assert sign * disp[1] >= 1.0 and abs(disp[0]) < 0.2 * abs(disp[1])
        assert np.percentile(_foot_slide(j), 95) < 0.3  # no wild footskate
        # arms swing opposite to the legs: left wrist forward while the left foot is back
        arm, leg = j[:, L_WRIST, 2] - root[:, 2], j[:, L_ANKLE, 2] - root[:, 2]
        if p["direction"] != "circle":
            assert np.corrcoef(arm, leg)[0, 1] < -0.5
    elif label == "run":
        assert disp[1] >= 2.0
        speed = np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=1) * CANONICAL_FPS
        assert speed.max() >= 1.5
    elif label == "jump":
        assert y.max() - stand >= 0.2
        assert _runs(y > stand + 0.15) == p["count"]
        if p["direction"] == "forward":
            assert disp[1] >= 0.25 * p["count"]
        else:
            assert np.linalg.norm(disp) < 0.25
    elif label == "wave":
        a, o = WRIST[side], WRIST[OTHER[side]]
        assert (j[:, a, 1] > j[:, HEAD, 1]).any()
        assert j[:, o, 1].max() < 1.0
        # while the hand is up, it swings out sideways once per wave
        up = np.flatnonzero(j[:, a, 1] > j[:, HEAD, 1] + 0.18)
        assert _runs(j[:, a, 1] > j[:, HEAD, 1] + 0.18) == 1
        sgn = 1.0 if side == "left" else -1.0
        x = sgn * (j[up[0]:up[-1] + 1, a, 0] - j[up[0]:up[-1] + 1, 12, 0])
        assert len(find_peaks(x, prominence=0.05)[0]) == p["count"]
    elif label == "squat":
        assert stand - y.min() >= (0.25 if p["depth"] == "normal" else 0.35)
        assert _runs(y < stand - 0.2) == p["count"]
        assert np.linalg.norm(disp) < 0.1
    elif label == "kick":
        a, o = ANKLE[side], ANKLE[OTHER[side]]
        assert j[:, a, 1].max() >= 0.4 and j[:, o, 1].max() < 0.1
        assert _runs(j[:, a, 1] > 0.4) == p["count"]
    elif label == "punch":
        a, o = WRIST[side], WRIST[OTHER[side]]
        reach_a, reach_o = j[:, a, 2] - root[:, 2], j[:, o, 2] - root[:, 2]
        assert reach_a.max() >= 0.45 and reach_o.max() < 0.35
        assert _runs(reach_a > 0.4) == p["count"]
    elif label == "turn":
        want = p["angle"] if side == "left" else -p["angle"]
        got = _yaw(j[-1]) - _yaw(j[0])
        assert (got - want + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=8.0)
        assert np.linalg.norm(disp) < 0.4
    elif label == "sit-down":
        assert y[-1] <= y[0] - 0.3 and y[-1] < 0.7
    elif label == "stand-up":
        assert y[0] <= y[-1] - 0.3 and y[0] < 0.7
    elif label == "bow":
        forward = j[:, HEAD, 2] - root[:, 2]
        assert forward.max() - forward[0] >= (0.2 if p["depth"] == "slight" else 0.35)
        assert np.linalg.norm(disp) < 0.15
    elif label == "clap":
        gap = np.linalg.norm(j[:, L_WRIST] - j[:, R_WRIST], axis=1)
        assert gap.min() < 0.08
        assert _runs(gap < 0.1) == p["count"]
    elif label == "raise-arms":
        up = {s: (j[:, WRIST[s], 1] > j[:, HEAD, 1] + 0.1).any() for s in ("left", "right")}
        want = {"both": (True, True), "left": (True, False), "right": (False, True)}[side]
        assert (up["left"], up["right"]) == want
    else:  # pragma: no cover
        raise AssertionError(label)


# ----------------------------------------------------------------------------- actions
@pytest.mark.parametrize("label", actions.ACTIONS)
def test_every_action_with_defaults(label):
    m = synthesis.synthesize(label)
    j = m.joints
    assert m.skeleton == SMPL22 and m.fps == CANONICAL_FPS and m.name == label
    assert j.dtype == np.float32 and j.ndim == 3 and j.shape[1:] == (22, 3)
    assert np.isfinite(j).all()
    # canonical: floor at 0, root at the origin facing +Z on frame 0
    assert j[..., 1].min() == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(j[0, 0, [0, 2]], 0.0, atol=1e-5)
    assert _yaw(j[0]) == pytest.approx(0.0, abs=0.5)
    # rigid bones: constant over time (< 1 mm) and those of the rest pose
    bones = _bones(j)
    assert (bones.max(0) - bones.min(0)).max() < 1e-3
    np.testing.assert_allclose(bones.mean(0), _bones(kinematics.REST_POSE[None])[0], atol=1e-3)
    # smooth: no joint moves faster than 12 m/s between frames (a fast kick peaks below)
    speed = np.linalg.norm(np.diff(j, axis=0), axis=-1) * CANONICAL_FPS
    assert speed.max() < 12.0
    check_signature(label, synthesis.check_params(label), j)
    assert len(captions.caption_variants(label)) >= 3


def test_gallery_singles_show_their_signature(gallery, terminal_report):
    """Every single action of the default gallery, with its drawn parameters, is what it says."""
    items, seconds = gallery
    singles = [it for it in items if len(it.labels) == 1]
    for it in singles:
        try:
            check_signature(it.labels[0], it.params["events"][0], it.motion.joints)
        except AssertionError as e:
            raise AssertionError(f"{it.id} {it.labels[0]} {it.params}: {e}") from e
    walks = [it for it in singles if it.labels[0] == "walk"]
    slide = np.concatenate([_foot_slide(it.motion.joints) for it in walks])
    terminal_report.append(
        f"demo gallery: {len(items)} motions ({len(singles)} single, "
        f"{len(items) - len(singles)} composed) generated in {seconds:.2f} s; walk foot slide "
        f"on the floor: median {np.median(slide):.3f} m/s, p95 {np.percentile(slide, 95):.3f} m/s")


def test_gallery_shape_and_coverage(gallery):
    items, _ = gallery
    assert 150 <= len(items) <= 250
    assert len({it.id for it in items}) == len(items)
    singles = [it for it in items if len(it.labels) == 1]
    composed = [it for it in items if len(it.labels) > 1]
    assert {it.labels[0] for it in singles} == set(actions.ACTIONS)
    for it in singles:
        assert 2.0 <= it.motion.duration <= 6.0, (it.id, it.motion.duration)
        assert it.boundaries == (0,)
    for it in composed:
        assert 2 <= len(it.labels) <= 3 and len(set(it.labels)) == len(it.labels)
        assert it.motion.num_frames <= demo.MAX_COMPOSED_FRAMES
        assert it.boundaries[0] == 0 and all(np.diff(it.boundaries) > demo.BLEND_FRAMES)
        if "stand-up" in it.labels:  # only right after sitting down
            assert it.labels[it.labels.index("stand-up") - 1] == "sit-down"
        if "sit-down" in it.labels[:-1]:
            assert it.labels[it.labels.index("sit-down") + 1] == "stand-up"
    for it in items:
        assert len(it.captions) == 3 and len(set(it.captions)) == 3
        assert np.isfinite(it.motion.joints).all() and it.motion.joints.dtype == np.float32
        bones = _bones(it.motion.joints)
        assert (bones.max(0) - bones.min(0)).max() < 1e-3, it.id


def test_captions_split_into_the_labelled_events(gallery):
    """core.text.events reads every caption back as one event per label, in order."""
    items, _ = gallery
    caps = [(it, c) for it in items for c in it.captions]
    events = split_events_batch([c for _, c in caps])
    for (it, cap), ev in zip(caps, events):
        assert len(ev) == len(it.labels), (cap, ev)
    # each event is one of its own label's captions for its parameters, in label order
    for it in items:
        for cap in it.captions:
            parts = cap.split(", then ")
            subject = next(s for s in captions.SUBJECTS if cap.startswith(s + " "))
            events = [parts[0]] + [f"{subject} {part}" for part in parts[1:]]
            for ev, lab, p in zip(events, it.labels, it.params["events"], strict=True):
                assert ev in captions.caption_variants(lab, p, subject=subject), (it.id, cap)


def test_composed_events_happen_in_caption_order(gallery):
    items, _ = gallery
    composed = [it for it in items if len(it.labels) > 1]
    checked = {"jump": 0, "walk": 0}
    for it in composed:
        params = it.params["events"]
        # the motion is exactly its events, synthesised from the stored parameters, in order
        parts = [synthesis.synthesize(lab, p) for lab, p in zip(it.labels, params)]
        again = demo.compose_events(parts)
        np.testing.assert_allclose(again.motion.joints, it.motion.joints, atol=1e-5)
        assert again.boundaries == it.boundaries
        # measurable timing: the jump's height peak and the walk's travel lie in their segments
        j = it.motion.joints.astype(np.float64)
        ends = list(it.boundaries[1:]) + [len(j)]
        for k, lab in enumerate(it.labels):
            a, b = it.boundaries[k], min(len(j), ends[k] + demo.BLEND_FRAMES)
            if lab == "jump":
                assert a <= int(np.argmax(j[:, 0, 1])) < b, it.id
                checked["jump"] += 1
            if lab == "walk" and params[k]["direction"] != "circle":
                travel = np.linalg.norm(j[b - 1, 0, [0, 2]] - j[a, 0, [0, 2]])
                assert travel >= 1.0, it.id
                checked["walk"] += 1
    assert checked["jump"] >= 3 and checked["walk"] >= 3


def test_single_items_are_reproducible_from_their_parameters(small):
    for it in small[:13]:
        again = synthesis.synthesize(it.labels[0], it.params["events"][0])
        np.testing.assert_array_equal(again.joints, it.motion.joints)
        json.dumps(it.params)  # JSON-ready


def test_determinism_and_prefix_stability(small):
    again = demo.demo_items(n_single=13, n_composed=3, seed=5)
    for a, b in zip(small, again):
        assert a.id == b.id and a.captions == b.captions and a.labels == b.labels
        assert a.params == b.params and a.boundaries == b.boundaries
        np.testing.assert_array_equal(a.motion.joints, b.motion.joints)
    prefix = demo.demo_items(n_single=4, n_composed=1, seed=5)
    for a, b in zip(prefix[:4], small[:4]):
        np.testing.assert_array_equal(a.motion.joints, b.motion.joints)
    np.testing.assert_array_equal(prefix[4].motion.joints, small[13].motion.joints)
    other = demo.demo_items(n_single=13, n_composed=3, seed=6)
    assert any(a.params != b.params or a.captions != b.captions for a, b in zip(small, other))


# ----------------------------------------------------------------------------- mirroring
@pytest.mark.parametrize("label, params", [
    ("wave", {"count": 3}), ("kick", {"count": 2, "speed": "fast"}), ("punch", {"count": 2}),
    ("turn", {"angle": 180}), ("raise-arms", {}), ("walk", {"direction": "circle"}),
])
def test_left_is_the_mirror_of_right(label, params):
    left = synthesis.synthesize(label, params, side="left")
    right = synthesis.synthesize(label, params, side="right")
    assert np.abs(left.joints - right.joints).max() > 0.1  # the sides really differ
    np.testing.assert_allclose(mirror_motion(left).joints, right.joints, atol=1e-4)
    cl = captions.caption_variants(label, params, side="left")
    cr = captions.caption_variants(label, params, side="right")
    assert [mirror_caption(c) for c in cl] == cr
    named = ["left" in c for c in cl]
    if label in ("turn", "walk"):  # "turns around", "walks in a circle": some name no side
        assert any(named) and not all(named)
    else:  # a limb action names its side in every caption
        assert all(named)


def test_wave_left_raises_the_left_hand_only():
    j = synthesis.synthesize("wave", side="left", count=3).joints
    assert j[:, L_WRIST, 1].max() > j[:, HEAD, 1].max()
    assert j[:, R_WRIST, 1].max() < 1.0
    assert captions.caption_variants("wave", side="left", count=3)[0] == (
        "a person waves the left hand three times")


# ----------------------------------------------------------------------------- chronology
def test_chronology_pairs_reverse_the_events():
    pairs = demo.chronology_pairs(seed=0, n=12)
    assert len(pairs) == 12
    jumps = 0
    for pair in pairs:
        a, b = pair.labels
        assert a != b and pair.permutation == (1, 0)
        p0, p1 = (e.split(" ", 2)[2] for e in pair.events)  # predicates after "a person"
        assert pair.caption == f"a person {p0}, then {p1}"
        assert pair.text_negative == f"a person {p1}, then {p0}"
        pos, neg = pair.motion.motion.joints, pair.motion_negative.motion.joints
        assert pos.shape == neg.shape
        assert pair.motion.lengths == pair.motion_negative.lengths[::-1]
        if "jump" in pair.labels:  # the height peak is in the jump's half, in both orders
            jumps += 1
            k = pair.labels.index("jump")
            for joints, comp, idx in ((pos, pair.motion, k), (neg, pair.motion_negative, 1 - k)):
                peak = int(np.argmax(joints[:, 0, 1]))
                seg = comp.segments()[idx]
                assert seg[0] <= peak < seg[1]
                assert (peak >= comp.boundaries[1]) == (idx == 1)
    assert jumps >= 1
    again = demo.chronology_pairs(seed=0, n=3)
    for a, b in zip(pairs[:3], again):
        assert a.caption == b.caption
        np.testing.assert_array_equal(a.motion.motion.joints, b.motion.motion.joints)


# ----------------------------------------------------------------------------- on disk
def test_written_dataset_loads_with_motion_dataset(small, tmp_path):
    root = demo.write_demo_dataset(tmp_path / "demo", small, seed=5)
    ds = MotionDataset(root, "all")
    samples, report = ds.scan()
    assert report.kept == len(small) and not report.skipped
    by_id = {it.id: it for it in small}
    for s in samples:
        it = by_id[s.record.id]
        np.testing.assert_allclose(s.motion.joints, it.motion.joints, atol=1e-5)
        assert tuple(c.text for c in s.captions) == it.captions
        assert all(c.whole_clip and c.tokens for c in s.captions)
        assert s.record.meta["synthetic"] is True
        assert tuple(s.record.meta["labels"]) == it.labels
        assert s.record.meta.get("action") == (it.labels[0] if len(it.labels) == 1 else None)
    splits = {sp: [r.id for r in MotionDataset(root, sp).records]
              for sp in ("train", "val", "test")}
    assert sorted(sum(splits.values(), [])) == sorted(by_id)
    assert all(splits.values())
    manifest = json.loads((root / demo.MANIFEST_NAME).read_text())
    assert manifest["version"] == demo.DEMO_VERSION and manifest["count"] == len(small)
    # motion patches build from the loaded motions
    joints = [s.motion.joints for s in samples]
    img, mask, lengths = patches_from_joints(joints, part_resampling_matrix(SMPL22), None)
    assert img.shape == (len(joints), 3, 224, 80) and np.isfinite(img).all()
    np.testing.assert_array_equal(mask.sum(1), -(-np.minimum(lengths, 224) // 16))
    # the existing composition tools read it (labels from meta "action")
    pool = composition_pool(samples)
    pairs = chronology_test_set(pool, 2, 0)
    assert len(pairs) == 2 and all(len(p.labels) >= 2 for p in pairs)


def test_write_is_atomic(small, tmp_path):
    root = tmp_path / "demo"
    demo.write_demo_dataset(root, small[:3])
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    manifest = (root / demo.MANIFEST_NAME).read_text()
    # millimetres given as metres: a Motion holds them (NaN joints it refuses when made),
    # the writer's validate_joints does not
    bad_joints = small[3].motion.joints * np.float32(1000.0)
    bad = replace(small[3], motion=replace(small[3].motion, joints=bad_joints))
    with pytest.raises(MotionFileError, match="demo item .*implausible scale"):
        demo.write_demo_dataset(root, list(small[:3]) + [bad])  # fails after 3 files
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert (root / demo.MANIFEST_NAME).read_text() == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no temporary leftovers
    with pytest.raises(MotionFileError):
        demo.write_demo_dataset(tmp_path / "fresh", [small[0], bad])
    assert not (tmp_path / "fresh").exists()


def test_ensure_demo_dataset_builds_once_and_repairs(small, tmp_path, monkeypatch):
    calls = []

    def fake_items(n_single=130, n_composed=70, seed=0):
        calls.append(seed)
        return list(small[:4])

    monkeypatch.setattr(demo, "demo_items", fake_items)
    monkeypatch.setenv("MOTIONLEX_CACHE", str(tmp_path / "cache"))
    root = demo.ensure_demo_dataset()
    assert root == tmp_path / "cache" / f"demo-v{demo.DEMO_VERSION}" == demo.default_demo_dir()
    assert demo.demo_dataset_complete(root) and len(calls) == 1
    assert demo.ensure_demo_dataset() == root and len(calls) == 1  # complete: not rebuilt
    (root / "new_joints" / f"{small[1].id}.npy").unlink()  # incomplete
    assert not demo.demo_dataset_complete(root)
    demo.ensure_demo_dataset()
    assert demo.demo_dataset_complete(root) and len(calls) == 2
    man = json.loads((root / demo.MANIFEST_NAME).read_text())
    man["version"] = demo.DEMO_VERSION - 1
    (root / demo.MANIFEST_NAME).write_text(json.dumps(man))  # an older generator's folder
    assert not demo.demo_dataset_complete(root)
    assert not demo.demo_dataset_complete(root, seed=1)
    assert not demo.demo_dataset_complete(tmp_path / "nowhere")


def test_default_demo_dir_is_in_the_cache_folder(tmp_path, monkeypatch):
    name = f"demo-v{demo.DEMO_VERSION}"
    monkeypatch.delenv("MOTIONLEX_CACHE", raising=False)
    assert demo.default_demo_dir() == cache_dir() / name
    monkeypatch.setenv("MOTIONLEX_CACHE", str(tmp_path / "mine"))
    assert demo.default_demo_dir() == tmp_path / "mine" / name


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: synthesis.synthesize("dance"), KeyError, "unknown demo action 'dance'"),
    (lambda: synthesis.synthesize("wave", side="up"), ValueError, "side='up' is not allowed"),
    (lambda: synthesis.synthesize("jump", count=4), ValueError, r"count=4 .*\[1, 2, 3\]"),
    (lambda: synthesis.synthesize("jump", count=True), ValueError, "count=True"),
    (lambda: synthesis.synthesize("squat", colour="red"), ValueError, "unknown parameter 'colour'"),
    (lambda: synthesis.synthesize("bow", tempo=3.0), ValueError, r"tempo=3.0 must be .*\[0.85"),
    (lambda: synthesis.synthesize("bow", pad_end="1"), ValueError, "pad_end='1'"),
    (lambda: demo.demo_items(n_single=-1), ValueError, "must be >= 0"),
    (lambda: demo.chronology_pairs(n=-2), ValueError, "n must be >= 0, got -2"),
    (lambda: demo.write_demo_dataset(Path(os.devnull).parent / "x", []), ValueError,
     "no demo items"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_items_are_refused(small, tmp_path):
    with pytest.raises(ValueError, match="duplicate item ids"):
        demo.write_demo_dataset(tmp_path / "d", [small[0], small[0]])
    with pytest.raises(ValueError, match="plain file names"):
        demo.write_demo_dataset(tmp_path / "d", [replace(small[0], id="../escape")])
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        demo.write_demo_dataset(tmp_path / "file", small[:1])
    assert not (tmp_path / "d").exists()
