"""Evaluation of a trained model: retrieval protocols, CAR, chronology, zero-shot, figures.

``motionlex evaluate --checkpoint DIR --data DIR --split val --out DIR`` encodes every motion
and every caption of the split once (``torch.inference_mode``, batches, progress bars) and
reuses the embeddings for every measurement below. The protocols are
:mod:`.protocols` and :mod:`.chronology`, the metric arithmetic :mod:`.metrics`, the
tables and figures :mod:`.report`, the pairs read :mod:`.eval_data`.
:func:`evaluate_steps` is the pipeline as a generator of progress (stages done, stages);
:func:`validation_metrics` (:mod:`.validation`) is the same All protocol, CAR, side and
word metrics during training.

Each retrieval number is given for three similarities (``dense``: cosine of the dense
embeddings; ``lexical``: ``model.config.lexical_similarity`` of the lexical vectors;
``fused``: :func:`.fusion.fuse`, ``w * dense + (1 - w) * lexical / max_per_query``, with
``w`` chosen on the validation split, never on test).

- Retrieval, both directions, R@1/2/3/5/10 (percent) and MedR (Yu et al., CVPR 2024,
  Sec. 4.2; ``Mathux/TMR/retrieval.py``): ``All`` (every caption is a query, the gallery is
  every distinct motion, positives are the motions carrying the same caption after
  :func:`~motionlex.core.text.orders.normalize_caption`);
  ``AllFirst`` (each motion id's first caption only, over the crops those captions cut:
  the papers' test protocol, Yu et al. Sec. 4.1, the numbers to compare with their tables;
  with time-spanned captions its gallery is one motion per id); ``SmallBatches``
  (batches of 32 of a seeded shuffle) and ``Threshold`` (caption-caption
  similarity >= 0.95 on TMR's scale, from a sentence model, default the offline MiniLM)
  on one caption per motion, its first, as TMR's test set does.
- CAR (Fujiwara et al., ECCV 2024, Sec. 3 and Table 1) on every multi-event caption: the
  split's own and those of composed clips. ``orig->event``: the original caption against its
  events shuffled and re-joined; ``event->event``: the events joined in the true order
  against the same shuffles. Also motion-to-text retrieval with the shuffled captions added
  to the gallery.
- Chronology test on composed clips
  (:func:`~motionlex.core.data.composition.chronology_test_set`): (motion, true caption) against
  (motion, caption in another order) and against (clips in that other order, true caption).
- Zero-shot action classification (Yu et al., CVPR 2024, Sec. 5.2) with one prompt per
  action label (``"a person {action}"``): top-1/top-5 and a confusion matrix.
- Side accuracy (:mod:`.side`, ``side/text``, ``side/motion``), word precision@10 and query
  word recall (:mod:`.word_protocol`, ``words/...``); with ``bvh_pairs``, cross-skeleton
  agreement of native BVH takes and their conversions (:mod:`.xskel`, ``xskel/...``).
- Cross-skeleton (Yu et al., CVPR 2024, Sec. 5.1): a folder of BVH files is read on each
  file's native skeleton (no retargeting); its own resampling matrix maps it to the same
  80 patch columns. Captions come from a sidecar ``{stem}.txt``, else ``index.json``'s
  ``kitml_caption``, else the prompt filled with its ``action``.

Outputs in ``--out``: ``metrics.json`` (flat, e.g. ``t2m/All/fused/R@1``; keys without a
similarity, e.g. ``t2m/All/R@1``, are the dense ones, the published methods' number; ``CAR``
is orig->event with dense similarity), ``metrics.md`` (tables in the papers' layout),
``evaluation.json`` (the checkpoint's absolute path and ``model_sha256``
(:func:`.fingerprints.model_fingerprint`, as an index's manifest), ``motionlex_version``,
``date``, settings and notes), ``zero_shot.json`` (classes, confusion matrices)
and PNG figures. Every file is written atomically.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core import __version__
from motionlex.core.data.bvh_folders import action_prompt
from motionlex.core.data.datasets import split_file_of
from motionlex.core.data.layout import detect_layout
from motionlex.core.data.pairs import distinct_motions, first_caption_rows
from motionlex.core.model.device import resolve_device
from motionlex.core.model.factory import load_checkpoint
from motionlex.core.model.folder import check_model_folder, trained_data_folders
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.chronology import (
    car_items,
    car_report,
    chronology_report,
    composed_pairs,
    synthetic_chronology_report,
)
from motionlex.core.retrieval.embed import Scorer, encode_motions, encode_texts
from motionlex.core.retrieval.eval_config import EvalConfig
from motionlex.core.retrieval.eval_data import EvalSet, load_eval_set
from motionlex.core.retrieval.figures import save_car_chart, save_confusion, save_recall_curves
from motionlex.core.retrieval.fingerprints import model_fingerprint
from motionlex.core.retrieval.fusion import checkpoint_fusion_weight, choose_fusion_weight
from motionlex.core.retrieval.metrics import integer_counts
from motionlex.core.retrieval.protocols import (
    caption_similarity,
    owner_positives,
    retrieval_report,
    sentence_encoder,
    sentence_model_path,
    zero_shot_report,
)
from motionlex.core.retrieval.report import (
    REPORT_RECORD,
    check_report_folder,
    classification_title,
    markdown_report,
    remove_stale_reports,
    write_report_json,
    write_text,
)
from motionlex.core.retrieval.side import mirrored_clips, side_captions, side_report
from motionlex.core.retrieval.validation import validation_metrics
from motionlex.core.retrieval.word_protocol import scorer_word_report
from motionlex.core.retrieval.xskel import (
    bvh_conversions,
    check_bvh_pairs_folder,
    cross_skeleton_report,
)
from motionlex.core.steps import run_steps
from motionlex.core.text.orders import join_events
from motionlex.core.wording import count

logger = logging.getLogger(__name__)

__all__ = ["EVAL_STAGES", "EvalConfig", "EvalResult", "evaluate", "evaluate_steps",
           "validation_metrics"]

EVAL_STAGES = 6
"""Progress steps of :func:`evaluate_steps`: data, encoding, retrieval, CAR and chronology,
zero-shot, files."""


@dataclass(eq=False)
class EvalResult:
    """What :func:`evaluate` measured and wrote.

    Attributes:
        metrics: the flat ``metrics.json`` dict. Keys name direction / protocol /
            similarity / measure: ``t2m/All/dense/R@1`` (recall at k in percent, 0-100),
            ``m2t/AllFirst/fused/MedR`` (median rank, 1-based), protocols ``All``,
            ``AllFirst``, ``SmallBatches``, ``Threshold`` (TMR, Petrovich et al. 2023,
            Sec. 4) and ``CAR-orig->event`` / ``CAR-event->event`` (m2t with the shuffled
            captions in the gallery); ``CAR`` and ``CAR/...`` (accuracy in percent, chance
            ``CAR/chance``; Fujiwara et al. 2024, Sec. 3.3), ``side/text``, ``side/motion``
            (percent), ``words/precision@10``, ``words/motion_recall@10``,
            ``words/query_recall@10`` (shares in [0, 1]), ``chronology/...``,
            ``synthetic_chronology/...``, ``zero-shot/...`` (percent), ``xskel/...``,
            ``fusion_weight`` (dense weight in [0, 1]) and counts ``n/...``, ``.../n``.
        table: the Markdown report.
        files: paths written.
        notes: remarks (fusion-weight source, skipped tests, small counts).
        texts: the ``N`` query captions of the All protocol.
        text_motion: ``(N,)`` int64 motion of each caption (protocols' ``owners``).
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


EvalSteps = Generator[tuple[int, int], None, "EvalResult"]
"""The evaluation: yields ``(stages done, EVAL_STAGES)``, returns its :class:`EvalResult`."""


def _all_protocol_inputs(model: Any, data: EvalSet, stats: PatchStats, cfg: EvalConfig
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense, lexical ``(N, M)`` similarities and positives of a split (protocol All)."""
    motions, owners = distinct_motions(data.examples)
    texts = [e.caption for e in data.examples]
    uniq = list(dict.fromkeys(texts))
    score = Scorer(uniq, encode_texts(model, uniq, cfg.batch_size, cfg.progress),
                   encode_motions(model, [(m.joints, m.skeleton) for m in motions], stats,
                                  batch_size=cfg.batch_size, long_clips="first",
                                  assume_canonical=True),  # canonical crops: their own floor
                   model.config.lexical_similarity)
    return *score(texts, np.arange(len(motions))), owner_positives(texts, owners, len(motions))


def _fusion_weight(cfg: EvalConfig, checkpoint: Path, data: EvalSet,
                   choose: Callable[[EvalSet], float]) -> tuple[float, str]:
    """The fusion weight and where it came from (never chosen on a non-val split)."""
    if cfg.fusion_weight is not None:
        return cfg.fusion_weight, "given (--fusion-weight)"
    w = checkpoint_fusion_weight(checkpoint)
    if w is not None:
        return w, f"from {checkpoint / 'val_metrics.json'}"
    if data.split == "val":
        return choose(data), "chosen on this split (val): fused rows are optimistic"
    val_file = data.root / "val.txt"
    if data.layout == "joints" and val_file.is_file():
        if any(line.strip() for line in val_file.read_text(errors="replace").splitlines()):
            val = load_eval_set(data.root, "val", prompt=cfg.prompt, progress=cfg.progress)
            return choose(val), f"chosen on {data.root.name} [val]"
        return 0.5, f"default 0.5 (no validation split to choose it on: {val_file} is empty)"
    return 0.5, "default 0.5 (no validation split to choose it on)"


def evaluate_steps(checkpoint: str | Path, data: str | Path, out_dir: str | Path,
                   cfg: EvalConfig | None = None) -> EvalSteps:
    """Evaluate a model directory on a dataset folder and write the report to ``out_dir``.

    A generator: yields ``(stages done, EVAL_STAGES)`` between stages (each a cancel point;
    files are written only in the last stage) and returns the :class:`EvalResult`.

    Args:
        checkpoint: a directory from ``MotionTextModel.save_pretrained`` with
            ``patch_stats.json`` (training-split statistics).
        data: a dataset folder (HumanML3D/KIT-ML layout, or BVH files).
        out_dir: output folder (created).
        cfg: settings; default :class:`EvalConfig()`.

    Returns:
        :class:`EvalResult` (the generator's value).

    Raises:
        TypeError: ``cfg`` is not an :class:`EvalConfig`; ``checkpoint`` is not a path (a
            loaded model: save it with ``save_pretrained`` first).
        FileNotFoundError: checkpoint folder, its ``patch_stats.json``, the data folder or
            the split file missing.
        FileExistsError: ``out_dir`` is a file, or a folder of other files than an earlier
            evaluation's report (said before any work; :func:`.report.check_report_folder`).
        ValueError: a bad folder or checkpoint, no usable pairs, or ``zero_shot=True`` on
            data with fewer than two action labels.
        ImportError: the sentence model's packages are missing (pass
            ``sentence_model=None`` to skip the Threshold protocol).
    """
    cfg = EvalConfig() if cfg is None else cfg
    if not isinstance(cfg, EvalConfig):
        raise TypeError(f"cfg must be an EvalConfig (EvalConfig(**settings) makes one from a "
                        f"dict), got {type(cfg).__name__}")
    if not isinstance(checkpoint, (str, os.PathLike)):  # a model object from a notebook
        raise TypeError(f"checkpoint must be a model folder (a path), got "
                        f"{type(checkpoint).__name__}: save a model first, "
                        f"model.save_pretrained(DIR, extra_json={{'patch_stats.json': stats}}), "
                        f"and pass DIR")
    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"cannot write the evaluation report to {out_dir}: it is a file, "
                              "and the report is a folder (give a folder name)")
    check_report_folder(out_dir)  # a folder of the user's own files (their metrics.md)
    check_model_folder(checkpoint, need_stats=True)  # the one "not a model folder" message
    resolve_device(cfg.device)  # a bad --device before minutes of loading data
    if cfg.bvh_pairs:
        check_bvh_pairs_folder(cfg.bvh_pairs)
    if cfg.sentence_model is not None:  # a mistyped --sentence-model before the encoding
        sentence_model_path(cfg.sentence_model)
    if detect_layout(data) == "joints":  # a missing folder or split before the first stage
        split_file_of(data, cfg.split)  # (a BVH folder's .txt files may be captions)
    yield 0, EVAL_STAGES
    data_set = load_eval_set(data, cfg.split, prompt=cfg.prompt, progress=cfg.progress)
    notes = list(data_set.notes)
    motions, owners = distinct_motions(data_set.examples)
    texts = [e.caption for e in data_set.examples]
    labelled = [i for i, m in enumerate(motions) if m.label]
    classes = sorted({motions[i].label for i in labelled})
    do_zero_shot = len(classes) >= 2 if cfg.zero_shot is None else cfg.zero_shot
    if cfg.zero_shot and len(classes) < 2:
        raise ValueError(f"zero-shot classification needs >= 2 action labels ('action' in "
                         f"meta.json or index.json); {data_set.root} has {len(classes)}")
    if not do_zero_shot and cfg.zero_shot is None:  # said, as the other skipped tests are
        notes.append(f"zero-shot classification skipped: {len(classes)} action label(s) "
                     f"('action' in meta.json or index.json; 2 or more needed)")
    notes += _setting_notes(checkpoint, data_set, len(motions))
    model, stats = load_checkpoint(checkpoint, device=cfg.device)
    pairs = composed_pairs(motions, cfg.chronology_pairs, cfg.seed, notes)
    mirror_clips, mirrored = mirrored_clips(motions, texts, owners)
    yield 1, EVAL_STAGES
    # --- encode every motion and every text once
    m_count, p = len(motions), len(pairs)
    clips = ([(m.joints, m.skeleton) for m in motions]
             + [(c.motion.motion.joints, c.motion.motion.skeleton) for c in pairs]
             + [(c.motion_negative.motion.joints, c.motion.motion.skeleton) for c in pairs]
             + mirror_clips)
    items = car_items([(int(owners[i]), e.caption, e.events)
                       for i, e in enumerate(data_set.examples)]
                      + [(m_count + k, c.caption, c.events) for k, c in enumerate(pairs)],
                      cfg.car_shuffles, np.random.default_rng(cfg.seed))
    prompts = [action_prompt(c, cfg.prompt) for c in classes] if do_zero_shot else []
    all_texts = (texts + [c.caption for c in pairs] + [c.text_negative for c in pairs]
                 + [s for it in items for s in it.shuffles]
                 + [join_events(it.events) for it in items] + prompts + side_captions(texts))
    uniq = list(dict.fromkeys(all_texts))
    score = Scorer(uniq, encode_texts(model, uniq, cfg.batch_size, cfg.progress),
                   encode_motions(model, clips, stats, batch_size=cfg.batch_size,
                                  long_clips="first", progress=cfg.progress, assume_canonical=True),
                   model.config.lexical_similarity)
    dense, lex = score(texts, np.arange(m_count))
    positives = owner_positives(texts, owners, m_count)

    def choose(ds: EvalSet) -> float:
        if ds is data_set:
            return choose_fusion_weight(dense, lex, positives, direction="both")
        return choose_fusion_weight(*_all_protocol_inputs(model, ds, stats, cfg),
                                    direction="both")

    weight, weight_source = _fusion_weight(cfg, checkpoint, data_set, choose)
    yield 2, EVAL_STAGES
    notes.insert(0, f"fusion weight {weight:.2f}: {weight_source}")
    # --- measurements
    pair_rows = first_caption_rows(data_set.examples)  # each motion id's first caption
    pair_motions = owners[pair_rows]  # ... and its crop: the papers' test gallery
    tts = None
    if cfg.sentence_model is not None:
        tts = caption_similarity([texts[i] for i in pair_rows],
                                 sentence_encoder(cfg.sentence_model))
    else:
        notes.append("Threshold protocol skipped (no sentence model)")
    if len(pair_rows) < cfg.small_batch_size:
        notes.append(f"Small batches skipped: {count(len(pair_rows), 'motion')} < batch size "
                     f"{cfg.small_batch_size}")
    metrics: dict[str, float] = {"fusion_weight": weight, "n/texts": float(len(texts)),
                                 "n/motions": float(m_count),
                                 "n/first_captions": float(len(pair_rows))}
    ret, ranks = retrieval_report(dense, lex, positives, weight, pair_rows, tts,
                                  small_batch_size=cfg.small_batch_size,
                                  threshold=cfg.threshold, seed=cfg.seed,
                                  pair_order=np.argsort([str(motions[j].motion_id)
                                                         for j in pair_motions], kind="stable"),
                                  pair_positives=owner_positives([texts[r] for r in pair_rows],
                                                                 np.arange(len(pair_rows)),
                                                                 len(pair_rows)),
                                  pair_motions=pair_motions)
    metrics.update(ret)
    yield 3, EVAL_STAGES
    gallery_texts = texts + [c.caption for c in pairs]
    gallery_owners = np.concatenate([owners, m_count + np.arange(p)]).astype(np.int64)
    if items:
        first = {(int(owners[r]), texts[r]) for r in pair_rows}  # the papers' test set
        metrics.update(car_report(score, gallery_texts, gallery_owners, m_count + p, items,
                                  weight, papers_set=np.array([(it.motion, it.caption) in first
                                                               for it in items]),
                                  queries=np.arange(m_count + p) < m_count))
        metrics["CAR/n_captions"] = float(sum(it.motion < m_count for it in items))
    else:
        notes.append("CAR skipped: no multi-event caption")
    if pairs:
        metrics.update(chronology_report(score, pairs, gallery_texts, m_count,
                                         m_count + 2 * p, weight))
    side = side_report(score, texts, owners, m_count,
                       {m: m_count + 2 * p + k for k, m in enumerate(mirrored)}, weight)
    if not side:
        notes.append("Side accuracy skipped: no caption names a side (left/right, "
                     "clockwise/counterclockwise, ...)")
    metrics.update(side)
    try:
        metrics.update(scorer_word_report(score, texts, owners, m_count, model.vocabulary))
    except RuntimeError as e:
        notes.append(f"word metrics skipped: {e}")
    if cfg.bvh_pairs:
        xpairs, xnotes = bvh_conversions(cfg.bvh_pairs, data_set.root)
        notes += xnotes
        metrics.update(cross_skeleton_report(model, stats, xpairs, data_set.root, [
            (m.motion_id, m, m.label) for m in motions], cfg.batch_size))
    if cfg.synthetic_chronology:
        metrics.update(synthetic_chronology_report(model, stats, n=cfg.synthetic_chronology,
                                                   seed=cfg.seed + 1000, weight=weight))
    yield 4, EVAL_STAGES
    confusion: dict[str, np.ndarray] = {}
    if do_zero_shot:
        labels = np.array([classes.index(motions[i].label) for i in labelled], np.int64)
        zs, confusion = zero_shot_report(score, prompts, np.array(labelled), labels, weight)
        metrics.update(zs)
    yield 5, EVAL_STAGES
    # --- outputs
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = integer_counts(metrics)
    info = {"checkpoint": str(checkpoint.resolve()),  # where it was, from any folder
            "model_sha256": model_fingerprint(model), "motionlex_version": __version__,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),  # as an index manifest's "created"
            "data": str(data_set.root), "data_path": str(data_set.root.resolve()),  # compare
            "split": data_set.split, "layout": data_set.layout, "notes": notes,
            "config": asdict(cfg)}
    if do_zero_shot:  # a dataset the checkpoint was trained on: its captions name the classes
        info["classes_seen_in_training"] = _trained_on(checkpoint, data_set)
    table = markdown_report(metrics, info, cfg)
    files = [write_report_json(out_dir / REPORT_RECORD, info),  # first: it marks the folder as ours
             write_report_json(out_dir / "metrics.json", metrics),
             write_text(out_dir / "metrics.md", table),
             save_recall_curves(ranks, out_dir / "recall_at_k.png", cfg.max_curve_k,
                                positives)]
    if items or pairs:
        files.append(save_car_chart(metrics, out_dir / "car.png"))
    if confusion:
        files.append(write_report_json(out_dir / "zero_shot.json", {
            "classes": classes, "prompts": prompts, "prompt_template": cfg.prompt,
            "confusion": {k: v.tolist() for k, v in confusion.items()}}))
        for sim, mat in confusion.items():
            files.append(save_confusion(mat, classes, out_dir / f"confusion_{sim}.png",
                                        f"{classification_title(info)} ({sim}): top-1 "
                                        f"{metrics[f'zero-shot/{sim}/top1']:.1f} %"))
    stale = remove_stale_reports(out_dir, files)
    if stale:
        logger.info("removed %s of an earlier evaluation in %s: %s",
                    count(len(stale), "report file"), out_dir, ", ".join(p.name for p in stale))
    logger.info("evaluation written to %s", out_dir)
    yield EVAL_STAGES, EVAL_STAGES
    return EvalResult(metrics, table, files, notes, texts, owners, dense, lex)


SMALL_GALLERY = 10
"""Galleries of at most this many motions get a note: R@10 covers them whole."""


def _setting_notes(checkpoint: Path, data_set: EvalSet, motions: int) -> list[str]:
    """Notes on what the numbers can mean: a gallery too small to rank, or a split the
    checkpoint was trained on (its ``train_config.json`` names its data folders)."""
    notes = []
    if motions <= SMALL_GALLERY:
        notes.append(f"a gallery of {count(motions, 'motion')}: R@k says little "
                     f"here (R@{motions} and above are 100 % by construction)")
    trained_here = _trained_on(checkpoint, data_set)
    if data_set.split in ("train", "all") and trained_here:
        notes.append(f"training-set figures: this checkpoint was trained on the train split "
                     f"of {data_set.root} (its train_config.json); evaluate on val or test")
    elif data_set.split == "val" and trained_here:
        notes.append(f"selection-split figures: this checkpoint (and the fusion weight in its "
                     f"val_metrics.json) was chosen on the val split of {data_set.root} during "
                     f"training, so these figures are somewhat optimistic next to a held-out "
                     f"test split")
    return notes


def _trained_on(checkpoint: Path, data_set: EvalSet) -> bool:
    """Whether the checkpoint was trained on ``data_set``'s folder: its ``train_config.json``
    names the folder, or, for a bare folder name (a shipped model records a folder of the
    machine it was trained on by name: the default model's ``demo-data``), one of that name."""
    root = os.path.realpath(data_set.root)
    return any(os.path.realpath(d) == root if os.path.isabs(d) else
               Path(d).name == Path(root).name for d in trained_data_folders(checkpoint))


def evaluate(checkpoint: str | Path, data: str | Path, out_dir: str | Path,
             cfg: EvalConfig | None = None) -> EvalResult:
    """Evaluate a model folder on a dataset split and write the report (metrics.json,
    metrics.md, figures) into ``out_dir``: :func:`evaluate_steps` run to its end.

    Args (as :func:`evaluate_steps`): ``checkpoint`` a model folder with
    ``patch_stats.json``; ``data`` a dataset or BVH folder; ``out_dir`` the report folder;
    ``cfg`` an :class:`EvalConfig` (split, protocols, CAR shuffles, seed, device).

    Returns:
        :class:`EvalResult`: ``metrics`` (keys and units in its docstring), the Markdown
        table, files, notes and the All protocol's ``(N, M)`` float32 similarities.

    Raises:
        TypeError, FileNotFoundError, FileExistsError, ValueError, ImportError: as
            :func:`evaluate_steps`.
    """
    return run_steps(evaluate_steps(checkpoint, data, out_dir, cfg))
