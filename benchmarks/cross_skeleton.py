"""Benchmark: native-skeleton BVH vs its SMPL-22 conversion of the same take (issue 12, item 5).

For each Bandai take in ``raw_bvh/`` (native 22-joint Bandai skeleton, centimetres, 30 fps)
the SMPL-22 conversion is ``bandai/new_joints/bn<d>_<action>_<style>_<take>.npy``. Both are
read with THE loader (``load_motion_file``) and encoded with THE encoding path
(``encode_motions``) by the shipped model. Printed per take:

- ``cos``: dense cosine between the BVH and its conversion;
- ``rank``: rank of the conversion when the BVH queries the gallery Bandai val (70) + the
  conversions (5: ``dash_normal_001`` has none) (1 = first);
- ``back``: rank of the BVH when its conversion queries Bandai val + the 5 BVH files;
- ``top5``: how many of the BVH query's top 5 (its own conversion excluded) have its action,
  over the most it could hold (min(5, other clips of its action)); with ``--gallery all``
  also ``top5all``: the same over all 3,002 Bandai clips (train + val; the explorer's
  gallery is usually a whole dataset);
- ``patch dz``: mean absolute difference of the z-scored patch images (overlapping frames),
  the input-side gap the model sees.

A second table takes the 4 CMU takes of ``raw_bvh/`` (3 cgspeed Daz walks, 43 joints
with End Site toes; 1 iClone dance, 100 joints) against their ``cmu_kitml`` conversions
(``kitml_id`` in ``index.json``): ``cos``, ``rank`` of the conversion among the 21
``cmu_kitml`` motions, ``BVH nn`` the cosine of the nearest other CMU BVH take (another Daz
walk: when it beats ``cos``, the skeleton weighs more than the take), ``patch dz``.

Usage: python benchmarks/cross_skeleton.py [--model resources/default_model] [--data DIR]
       [--gallery val|all]
Target (issue 12): rank 1 both ways for every take; top-5 holds the same action.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from motionlex.core.model.factory import load_checkpoint  # noqa: E402
from motionlex.core.motion.files import load_motion_file  # noqa: E402
from motionlex.core.patches import motion_patch_image, part_resampling_matrix  # noqa: E402
from motionlex.core.retrieval.embed import encode_motions  # noqa: E402
from motionlex.resources import default_model_dir  # noqa: E402


def conversion_id(bvh_name: str) -> str:
    """``bandai_2_wave-right-hand_normal_001.bvh`` -> ``bn2_wave-right-hand_normal_001``."""
    stem = Path(bvh_name).stem
    _, d, rest = stem.split("_", 2)
    return f"bn{d}_{rest}"


def patch_gap(a, b, stats) -> float:
    """Mean |z_a - z_b| over the overlapping frames of two canonical motions."""
    t = min(a.num_frames, b.num_frames)
    za = motion_patch_image(a.joints[:t], part_resampling_matrix(a.skeleton), stats)
    zb = motion_patch_image(b.joints[:t], part_resampling_matrix(b.skeleton), stats)
    return float(np.abs(za - zb).mean())


def full_gallery_top5(model, stats, data: Path, meta: dict, e_bvh: np.ndarray,
                      conv_ids: list[str]) -> list[tuple[int, int]]:
    """Per BVH query over all Bandai clips (own conversion out): (same-action count in its
    top 5, how many it could hold: min(5, other clips of its action))."""
    ids = sorted(meta)
    motions = [load_motion_file(data / "bandai" / "new_joints" / f"{i}.npy") for i in ids]
    gal = encode_motions(model, [(m.joints, m.skeleton) for m in motions], stats,
                         long_clips="first").dense
    out = []
    for q, own in zip(e_bvh, conv_ids):
        order = [k for k in np.argsort(-(gal @ q)) if ids[k] != own][:5]
        action = meta[own]["action"]
        held = sum(meta[i]["action"] == action for i in ids if i != own)
        out.append((sum(meta[ids[k]]["action"] == action for k in order), min(5, held)))
    return out


def cmu_takes(model, stats, data: Path, index: dict) -> None:
    """Print the CMU takes against their ``cmu_kitml`` conversions (module docstring)."""
    takes = sorted(k for k, v in index.items() if k.startswith("cmu_") and v.get("kitml_id"))
    ids = sorted(p.stem for p in (data / "cmu_kitml" / "new_joints").glob("*.npy"))
    takes = [k for k in takes if index[k]["kitml_id"] in ids]
    if not takes:
        print("no CMU take with a cmu_kitml conversion")
        return
    conv = [load_motion_file(data / "cmu_kitml" / "new_joints" / f"{i}.npy") for i in ids]
    bvh = [load_motion_file(data / "raw_bvh" / k) for k in takes]
    enc = encode_motions(model, [(m.joints, m.skeleton) for m in conv + bvh], stats,
                         long_clips="first").dense
    e_conv, e_bvh = enc[:len(ids)], enc[len(ids):]
    print(f"\n{'CMU take (vs cmu_kitml)':<44} {'cos':>6} {'rank':>5} {'BVH nn':>7} "
          f"{'patch dz':>9}   (rank among {len(ids)} conversions)")
    cos_all = []
    for i, name in enumerate(takes):
        own = ids.index(index[name]["kitml_id"])
        s = e_conv @ e_bvh[i]
        others = np.delete(e_bvh @ e_bvh[i], i)
        cos_all.append(float(s[own]))
        print(f"{Path(name).stem:<44} {s[own]:6.3f} {int((s > s[own]).sum()) + 1:5d} "
              f"{others.max() if len(others) else float('nan'):7.3f} "
              f"{patch_gap(bvh[i], conv[own], stats):9.3f}")
    print(f"mean cosine {np.mean(cos_all):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(default_model_dir()))
    ap.add_argument("--data", default=os.environ.get(  # beside the repository, from any folder
        "MOTIONLEX_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    ap.add_argument("--gallery", choices=("val", "all"), default="val",
                    help="'all' adds top-5 over every Bandai clip (about 1 min on 1 core)")
    args = ap.parse_args()
    data = Path(args.data)
    model, stats = load_checkpoint(args.model, device="cpu")
    meta = json.loads((data / "bandai" / "meta.json").read_text())
    index = json.loads((data / "raw_bvh" / "index.json").read_text())
    bvh_names = sorted(k for k in index if k.startswith("bandai_"))
    missing = [k for k in bvh_names if conversion_id(k) not in meta]
    for k in missing:  # dash_normal_001: 20 frames (0.67 s), no conversion in bandai/
        print(f"skipped {k}: no SMPL-22 conversion {conversion_id(k)} in bandai/")
    bvh_names = [k for k in bvh_names if k not in missing]
    conv_ids = [conversion_id(k) for k in bvh_names]
    val_ids = (data / "bandai" / "val.txt").read_text().split()
    bvh = [load_motion_file(data / "raw_bvh" / k) for k in bvh_names]
    conv = [load_motion_file(data / "bandai" / "new_joints" / f"{c}.npy") for c in conv_ids]
    val = [load_motion_file(data / "bandai" / "new_joints" / f"{v}.npy") for v in val_ids]
    enc = encode_motions(model, [(m.joints, m.skeleton) for m in bvh + conv + val], stats,
                         long_clips="first").dense
    n = len(bvh)
    e_bvh, e_conv, e_val = enc[:n], enc[n:2 * n], enc[2 * n:]
    actions = [meta[c]["action"] for c in conv_ids] + [meta[v]["action"] for v in val_ids]
    gal_conv = np.concatenate([e_conv, e_val])  # BVH queries: conversions + val
    gal_bvh = np.concatenate([e_bvh, e_val])  # conversion queries: BVH + val
    top5_full = full_gallery_top5(model, stats, data, meta, e_bvh, conv_ids) \
        if args.gallery == "all" else None
    print(f"{'take':<44} {'cos':>6} {'rank':>5} {'back':>5} {'top5':>5} {'patch dz':>9}"
          + (f" {'top5all':>8}" if top5_full else "")
          + "   (top5: same-action clips in the top 5 / most it could hold)")
    cos_all, mutual, top5_all, found = [], 0, [], []
    for i, name in enumerate(bvh_names):
        s = gal_conv @ e_bvh[i]
        rank = int((s > s[i]).sum()) + 1
        back_s = gal_bvh @ e_conv[i]
        back = int((back_s > back_s[i]).sum()) + 1
        order = [k for k in np.argsort(-s) if k != i][:5]
        top5 = sum(actions[k] == actions[i] for k in order)
        held = min(5, sum(a == actions[i] for k, a in enumerate(actions) if k != i))
        if held:  # a take whose action the gallery holds besides its own conversion
            found.append(top5 > 0)
        gap = patch_gap(bvh[i], conv[i], stats)
        cos = float(e_bvh[i] @ e_conv[i])
        cos_all.append(cos)
        mutual += rank == 1 and back == 1
        top5_all.append(top5)
        print(f"{Path(name).stem:<44} {cos:6.3f} {rank:5d} {back:5d} {f'{top5}/{held}':>5} "
              f"{gap:9.3f}" + (f" {'{}/{}'.format(*top5_full[i]):>8}" if top5_full else ""))
    print(f"mean cosine {np.mean(cos_all):.3f}; mutual rank-1 {mutual}/{n}; "
          f"BVH top-5 same action {np.mean(top5_all):.2f}/5 "
          f"(takes whose action val holds that find it: {sum(found)}/{len(found)})"
          + (f"; over all Bandai {np.mean([t for t, _ in top5_full]):.2f}/5 (takes whose "
             f"action it holds that find it: {sum(t > 0 for t, h in top5_full if h)}/"
             f"{sum(h > 0 for _, h in top5_full)})" if top5_full else ""))
    cmu_takes(model, stats, data, index)


if __name__ == "__main__":
    main()
