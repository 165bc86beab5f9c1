"""Cross-skeleton agreement: a native-skeleton BVH take against its SMPL-22 conversion.

A folder of native BVH takes (``raw_bvh/``) with an ``index.json`` names, per file, the id
of its conversion in a HumanML3D-layout dataset (``bandai/``, ``cmu_kitml/``): the first of
the keys :data:`ID_KEYS` whose id the dataset holds, else the dataset entry whose
``meta.json`` has the same ``cmu_trial``, else the same ``dataset``, ``action``, ``style``
and ``take``. Both are read by THE loader
(:func:`load_motion_file`, the BVH on its own skeleton) and encoded by THE encoding path
(:mod:`.embed`, first 224 frames as every protocol). Dense similarity, motion to motion:

- ``xskel/bvh->npy/R@1``: percent of BVH takes whose nearest motion (gallery: the split's
  motions, every conversion and every other BVH take) is their conversion;
  ``xskel/npy->bvh/R@1`` the converse; ``xskel/mutual@1`` both at once;
  ``xskel/bvh->npy/MedR`` the median rank of the conversion; ``xskel/cosine`` the mean
  cosine of the two.
- ``xskel/action@5``: percent of BVH takes whose 5 nearest motions among the split's motions
  and the conversions hold one of the same action; ``xskel/action@5/others`` the same with
  the take's own conversion left out, over the ``xskel/action@5/others/n`` takes whose action
  has another motion in that gallery (Bandai val holds 10 of Bandai's actions: a bow, kick or
  punch take has none to find; left out when no take has); ``xskel/npy_action@5`` the conversions
  as queries (themselves left out, same takes), the figure ``action@5/others`` of a faithful
  native read reaches.

Source: Yu et al., CVPR 2024, Sec. 5.1 (any skeleton read natively through motion patches).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.bvh_index import BVH_INDEX, read_bvh_index
from motionlex.core.motion.files import load_motion_file
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.embed import encode_motions
from motionlex.core.retrieval.metrics import median_rank, rank_of_first_positive

logger = logging.getLogger(__name__)

ID_KEYS = ("id", "converted_id", "kitml_id", "humanml3d_id")
"""Keys of an ``index.json`` entry that may name its conversion's id, in this order."""


def check_bvh_pairs_folder(bvh_dir: str | Path) -> Path:
    """Raise unless ``bvh_dir`` is a folder with an ``index.json`` (checked before a model
    loads, so a wrong ``--bvh-pairs`` fails in a blink).

    Raises:
        FileNotFoundError: no such folder, or no ``index.json`` in it (both named).
    """
    where = Path(bvh_dir)
    if not (where / BVH_INDEX).is_file():
        raise FileNotFoundError(
            f"cross-skeleton pairs: {'no such folder: ' if not where.exists() else ''}{where}"
            f"{'' if not where.is_dir() else f' has no {BVH_INDEX}'} (a folder of native BVH "
            f"takes whose {BVH_INDEX} names each one's conversion in the data folder)")
    return where


def bvh_conversions(bvh_dir: str | Path, data_root: str | Path
                    ) -> tuple[list[tuple[Path, str, str]], list[str]]:
    """The BVH takes of ``bvh_dir`` that have a conversion in ``data_root``.

    Args:
        bvh_dir: folder with ``index.json`` (file name -> entry) and the ``.bvh`` files.
        data_root: HumanML3D-layout dataset with ``meta.json`` and ``new_joints/``.

    Returns:
        ``([(bvh path, conversion id, action or "")], notes on takes left out)``.

    Raises:
        FileNotFoundError: ``index.json`` or ``meta.json`` missing.
        ValueError: ``index.json`` is not an object of entries
            (:func:`~motionlex.core.motion.bvh_index.read_bvh_index`).
    """
    bvh_dir, data_root = Path(bvh_dir), Path(data_root)
    check_bvh_pairs_folder(bvh_dir)
    meta_path = data_root / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"cross-skeleton pairs need {meta_path}")
    index = read_bvh_index(bvh_dir)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    by_take = {(m.get("dataset"), m.get("action"), m.get("style"), str(m.get("take"))): i
               for i, m in meta.items()}
    by_trial = {str(m["cmu_trial"]): i for i, m in meta.items() if m.get("cmu_trial")}

    def held(cid: Any) -> bool:
        return bool(cid) and (data_root / "new_joints" / f"{cid}.npy").is_file()

    pairs, notes = [], []
    for name, e in sorted(index.items()):
        path = bvh_dir / e.get("file", name)
        if path.suffix.lower() != ".bvh":
            continue
        cid = next((e[k] for k in ID_KEYS if held(e.get(k))), None)
        if cid is None:
            cid = by_trial.get(str(e.get("cmu_trial"))) or by_take.get(
                (e.get("dataset"), e.get("action"), e.get("style"), str(e.get("take"))))
        if not held(cid):
            notes.append(f"{path.name}: no conversion in {data_root.name}")
            continue
        action = meta.get(str(cid), {}).get("action") or e.get("action") or ""
        pairs.append((path, str(cid), str(action)))
    return pairs, notes


def cross_skeleton_report(model: EncoderModel, stats: PatchStats,
                          pairs: Sequence[tuple[Path, str, str]], data_root: str | Path,
                          gallery: Sequence[tuple[str, Any, str]],
                          batch_size: int = 64) -> dict[str, float]:
    """Agreement of native BVH takes with their conversions (keys in the module docstring).

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        stats: the model's patch statistics.
        pairs: from :func:`bvh_conversions`.
        data_root: the dataset holding the conversions (``new_joints/{id}.npy``).
        gallery: the split's motions as ``(id, Motion-like with joints and skeleton,
            action)``; a conversion already in it is not added twice.
        batch_size: motions per forward pass.

    Returns:
        Flat ``xskel/...`` metrics (percent, ranks, cosine) and ``xskel/n``; empty without
        pairs.

    Raises:
        FileNotFoundError / ValueError: a file cannot be read (:func:`load_motion_file`).
    """
    if not pairs:
        return {}
    ids = [g[0] for g in gallery]
    clips = [(g[1].joints, g[1].skeleton) for g in gallery]
    actions = [g[2] for g in gallery]
    conv_rows = []
    for _, cid, action in pairs:
        if cid not in ids:
            m = load_motion_file(Path(data_root) / "new_joints" / f"{cid}.npy")
            ids.append(cid)
            clips.append((m.joints, m.skeleton))
            actions.append(action)
        conv_rows.append(ids.index(cid))
    g = len(clips)
    for path, _, _ in pairs:
        m = load_motion_file(path)
        clips.append((m.joints, m.skeleton))
    emb = encode_motions(model, clips, stats, batch_size=batch_size, long_clips="first",
                         assume_canonical=True).dense  # loaded canonical
    sim = emb @ emb.T
    n = len(pairs)
    bvh_rows = g + np.arange(n)
    conv = np.array(conv_rows, np.int64)
    np.fill_diagonal(sim, -np.inf)  # a query never retrieves itself
    pos = np.zeros((n, len(clips)), bool)
    pos[np.arange(n), conv] = True
    r_bvh = rank_of_first_positive(np.where(np.isinf(sim[bvh_rows]), -9.0, sim[bvh_rows]), pos)
    pos_back = np.zeros((n, len(clips)), bool)
    pos_back[np.arange(n), bvh_rows] = True
    r_npy = rank_of_first_positive(np.where(np.isinf(sim[conv]), -9.0, sim[conv]), pos_back)
    out = {"xskel/bvh->npy/R@1": 100.0 * float(np.mean(r_bvh <= 1)),
           "xskel/npy->bvh/R@1": 100.0 * float(np.mean(r_npy <= 1)),
           "xskel/mutual@1": 100.0 * float(np.mean((r_bvh <= 1) & (r_npy <= 1))),
           "xskel/bvh->npy/MedR": median_rank(r_bvh),
           "xskel/cosine": float(np.mean(sim[bvh_rows, conv]))}
    act = np.array(actions, dtype=object)

    def action_at5(rows: np.ndarray, drop: np.ndarray | None = None) -> tuple[float, float]:
        """Percent of queries with their action in their 5 nearest of the gallery, over the
        queries whose action has a gallery motion besides the ones left out (a take of an
        action the split does not hold cannot find one), and how many those are."""
        hits = []
        for i, r in enumerate(rows):
            s = sim[r, :g].copy()
            if drop is not None:
                s[drop[i]] = -np.inf
            same = act[:g] == pairs[i][2]
            if not pairs[i][2] or not np.any(same & np.isfinite(s)):  # no action to find
                continue
            hits.append(pairs[i][2] in set(act[np.argsort(-s, kind="stable")[:5]]))
        return 100.0 * float(np.mean(hits)) if hits else 0.0, float(len(hits))

    at5, labelled = action_at5(bvh_rows)
    if labelled:  # no figure when no take has an action label (CMU takes: captions only)
        out["xskel/action@5"] = at5
    others, eligible = action_at5(bvh_rows, conv)
    out["xskel/action@5/others/n"] = eligible
    if eligible:  # no figure when no take's action is elsewhere in the gallery
        out["xskel/action@5/others"] = others
        out["xskel/npy_action@5"] = action_at5(conv)[0]
    out["xskel/n"] = float(n)
    return out
