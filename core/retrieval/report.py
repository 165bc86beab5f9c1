"""Reports: the evaluation's Markdown tables (``metrics.md``) and its atomic text and JSON
writes (no Qt, no torch; the PNG figures are in :mod:`.figures`).

- :func:`markdown_report`: ``motionlex evaluate``'s ``metrics.md``.
- :func:`write_text`, :func:`write_report_json`: files written atomically.
- :func:`remove_stale_reports`: an earlier run's report files this run did not write.
- :func:`check_report_folder`: refuse an output folder of other files (a user's own
  ``metrics.md`` was replaced without a word).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from motionlex.core.atomic import atomic_file
from motionlex.core.json_io import write_json
from motionlex.core.retrieval.metrics import (
    CAR_SETTINGS,
    DEFAULT_KS,
    SIMILARITIES,
)
from motionlex.core.value_checks import rounded
from motionlex.core.wording import count

_PROTOCOL_LABELS = {"All": "All", "AllFirst": "All, first caption",
                    "SmallBatches": "Small batches ({b})", "Threshold": "Threshold {t:g}"}


_COLUMNS = tuple(f"R@{k}" for k in DEFAULT_KS) + ("MedR",)


def _cell(metrics: dict[str, float], key: str) -> str:
    v = metrics.get(key)
    return "-" if v is None else f"{v:.2f}"


def protocol_legend(metrics: dict[str, float], cfg: Any) -> str:
    """One paragraph saying which captions and motions each retrieval protocol of the
    report uses (Yu et al., CVPR 2024, Sec. 4.2; TMR's protocols), with the counts here."""
    n_all = int(metrics.get("n/motions", 0))
    n = int(metrics.get("n/first_captions", n_all))
    first = ("All, first caption with each motion's first caption (the papers' test "
             "protocol)")
    if n != n_all:
        first += (f", over the {n} crops those captions cut (one per motion id; All's "
                  f"gallery holds every caption's crop, {n_all})")
    parts = ["Protocols: All queries with every caption (a motion's identical captions are "
             "one positive); " + first]
    if "t2m/SmallBatches/dense/R@1" in metrics or "t2m/SmallBatches/fused/R@1" in metrics:
        b = int(cfg.small_batch_size)
        parts.append(f"Small batches ({b}) with first captions in seeded batches of {b}, "
                     f"averaged, the remainder dropped ({n // b * b} of {n} motions)")
    if any(k.startswith("t2m/Threshold/") for k in metrics):
        parts.append(f"Threshold {cfg.threshold:g} with first captions, a motion also "
                     f"counting when its caption's sentence similarity to the query's is at "
                     f"least {cfg.threshold:g} on TMR's (cos + 1) / 2 scale (cosine "
                     f"{2 * cfg.threshold - 1:g})")
    return ("; ".join(parts) + ". Identical captions are one positive in every protocol "
            "(TMR's first-caption protocols count only the pair's own motion, so templated "
            "captions can score higher here).")


def markdown_report(metrics: dict[str, float], info: dict[str, Any], cfg: Any) -> str:
    """The Markdown report: retrieval tables in the layout of Yu et al. (CVPR 2024, Tables
    2-3; rows = similarity x protocol, columns R@1 R@2 R@3 R@5 R@10 MedR, one table per
    direction), CAR in the layout of Fujiwara et al. (ECCV 2024, Table 1), then the
    composed chronology test, side accuracy, the lexical word metrics, cross-skeleton
    agreement and zero-shot accuracy.

    Args:
        metrics: the flat metrics of :func:`evaluate`.
        info: ``checkpoint``, ``data``, ``split``, ``notes``.
        cfg: the :class:`.eval_config.EvalConfig` (protocol labels, shuffles, prompt).
    """
    command = getattr(cfg, "command", None)
    lines = ["# motionlex evaluation", "",
             *([f"- command: `{command}`"] if command else []),
             f"- checkpoint: `{info['checkpoint']}`"
             + (f" (weights sha256 {info['model_sha256'][:12]})"
                if info.get("model_sha256") else ""),
             f"- data: `{info['data']}` [{info['split']}]: "
             f"{count(metrics['n/texts'], 'caption')}, {count(metrics['n/motions'], 'motion')}"]
    lines += [f"- {n}" for n in info.get("notes", [])]
    lines += ["", protocol_legend(metrics, cfg)]
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
                  f"{cfg.car_shuffles} shuffled version(s) each; chance CAR "
                  f"{metrics['CAR/chance']:.1f} %. {_car_retrieval_rows(metrics)} "
                  "The headline `CAR` is "
                  f"orig->event, dense ({_cell(metrics, 'CAR')} %): the original caption "
                  "against its events shuffled and joined, so the two differ in wording as "
                  "well as in order and a model can beat chance on wording alone; "
                  "event->event (the events joined in the true order against the same "
                  f"shuffles, dense {_cell(metrics, 'CAR/event->event/dense')} %) compares "
                  "order alone.", "",
                  "| Similarity | " + " | ".join(
                      f"{s} {c}" for s in CAR_SETTINGS for c in cols + ("CAR",)) + " |",
                  "|---|" + "---:|" * (2 * len(cols) + 2)]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"m2t/CAR-{s}/{sim}/{c}") if c != "CAR"
                     else _cell(metrics, f"CAR/{s}/{sim}")
                     for s in CAR_SETTINGS for c in cols + ("CAR",)]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
        if "CAR/first/n" in metrics:
            per = "; ".join(f"{s} " + " / ".join(_cell(metrics, f"CAR/first/{s}/{sim}")
                                                  for sim in SIMILARITIES)
                            for s in CAR_SETTINGS)
            lines += ["", f"The papers' CAR set (each motion's first caption, from the data, "
                          f"as Fujiwara et al. Sec. 3.3 test): "
                          f"{int(metrics['CAR/first/n'])} captions, chance "
                          f"{metrics['CAR/first/chance']:.1f} %; CAR "
                          f"({' / '.join(SIMILARITIES)}): {per}."]
    if "chronology/n" in metrics:
        lines += ["", "## Chronology test on composed clips", "",
                  f"{int(metrics['chronology/n'])} pairs; percent passed (chance 50 %).", "",
                  "| Similarity | text side: the motion picks its true-order caption | "
                  "motion side: the caption picks its true-order clip | both |",
                  "|---|---:|---:|---:|"]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"chronology/{t}/{sim}") for t in ("text", "motion", "both")]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    if "synthetic_chronology/n" in metrics:
        lines += ["", "## Synthetic chronology test (procedural SMPL-22 motions)", "",
                  f"{int(metrics['synthetic_chronology/n'])} pairs from "
                  "`motionlex.core.data.demo.gallery.chronology_pairs`; percent passed "
                  "(chance 50 %).", "",
                  "| Similarity | text side: the motion picks its true-order caption | "
                  "motion side: the caption picks its true-order motion | both |",
                  "|---|---:|---:|---:|"]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"synthetic_chronology/{t}/{sim}")
                     for t in ("text", "motion", "both")]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    lines += _trust_sections(metrics)
    if "zero-shot/n" in metrics:
        keys = sorted({k.rsplit("/", 1)[1] for k in metrics if k.startswith("zero-shot/dense/")})
        classes = int(metrics["zero-shot/classes"])
        seen = ("" if not info.get("classes_seen_in_training") else
                " Not zero-shot: the checkpoint was trained on this dataset (its "
                "train_config.json), whose captions name these actions; zero-shot means "
                "classes and data the model never trained on (Yu et al., CVPR 2024, Sec. 5.2).")
        lines += ["", f"## {classification_title(info).capitalize()}", "",
                  f"{int(metrics['zero-shot/n'])} motions, {classes} classes, prompt "
                  f"`{cfg.prompt}`; chance is k / {classes}.{seen}", "",
                  "| Similarity | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"zero-shot/{sim}/{k}") for k in keys]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
        chance = [f"{100.0 * min(int(k[3:]), classes) / classes:.2f}" for k in keys]
        lines.append("| chance | " + " | ".join(chance) + " |")
    lines += ["", "## Keys of metrics.json", "", "| key | what it is |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in KEY_GLOSSARY]
    return "\n".join(lines) + "\n"


KEY_GLOSSARY = (
    ("{t2m,m2t}/PROTOCOL/{dense,lexical,fused}/{R@k,MedR}", "recall at k in percent and "
     "median rank (1-based) of text-to-motion / motion-to-text retrieval; PROTOCOL `All` "
     "(every caption), `AllFirst` (the table's \"All, first caption\"), `SmallBatches`, "
     "`Threshold`; without the similarity, the dense figure"),
    ("m2t/CAR-{orig,event}->event/SIM/...", "motion-to-text retrieval with the shuffled "
     "captions added to the gallery (the CAR table's retrieval columns)"),
    ("CAR, CAR/{orig,event}->event/SIM", "CAR accuracy in percent: a motion prefers its "
     "caption (orig) or its events joined in order (event) to every shuffle; `CAR` is "
     "orig->event, dense; `CAR/first/...` on each motion's first caption"),
    ("chronology/{text,motion,both}/SIM, synthetic_chronology/...", "percent of composed "
     "(or procedural) pairs passed: the motion picks its true-order caption (text), the "
     "caption its true-order clip (motion), both; chance 50"),
    ("CAR/chance, CAR/first/chance", "CAR's chance level in percent (1 / (shuffles + 1))"),
    ("side/text, side/motion (/SIM)", "side accuracy in percent; text: a motion prefers "
     "its caption to the side-swapped caption (the choice is among texts); motion: a "
     "caption prefers its motion to the mirrored motion"),
    ("words/precision@10, words/motion_recall@10, words/query_recall@10", "shares in "
     "[0, 1] of a motion's 10 heaviest words that are its captions' content words; of its "
     "captions' words among them; of a caption's own words among its 10 heaviest"),
    ("zero-shot/SIM/top{1,5}, zero-shot/classes", "action classification by prompt in "
     "percent, over `classes` actions (the key keeps its name when the checkpoint trained on "
     "the data; evaluation.json's `classes_seen_in_training` says so)"),
    ("xskel/...", "cross-skeleton agreement of native BVH takes and their conversions"),
    ("fusion_weight", "dense weight w of the fused score, w x dense + (1 - w) x lexical / "
     "its maximum, chosen on the val split"),
    ("n/..., .../n, .../n_...", "counts: the gallery's captions and motions, items per test"),
)
"""What each family of ``metrics.json`` keys measures: the report's last section, so that a
reader of the JSON finds the table's label and the unit of a key."""


def classification_title(info: dict[str, Any]) -> str:
    """What the action classification of an evaluation is: zero-shot, or by prompt over
    classes the checkpoint's training captions name (``info["classes_seen_in_training"]``,
    set by :func:`.evaluate.evaluate_steps` when the data folder is one it trained on)."""
    return ("action classification by prompt (classes seen in training)"
            if info.get("classes_seen_in_training") else "zero-shot action classification")


def _car_retrieval_rows(metrics: dict[str, float]) -> str:
    """The sentence saying what the CAR table's retrieval columns query (Fujiwara et al.,
    ECCV 2024, Table 1: the split's motions against its captions plus their shuffles)."""
    if "m2t/CAR/n_motions" not in metrics:  # a metrics.json of an earlier version
        return ("Retrieval columns: every motion against the gallery with the shuffled "
                "versions added.")
    n, k = int(metrics["m2t/CAR/n_motions"]), int(metrics["m2t/CAR/n_shuffles"])
    if not k:
        return ("Retrieval columns left out: none of the split's own captions has "
                "events to shuffle (only composed ones).")
    return (f"Retrieval columns (R@k, MedR; Fujiwara et al. Table 1): the split's "
            f"{count(n, 'motion')} query its captions plus the {count(k, 'shuffled version')} "
            "of its own multi-event captions (composed clips are neither queries nor "
            "gallery there); the CAR columns count every caption.")


def _trust_sections(metrics: dict[str, float]) -> list[str]:
    """Markdown of side accuracy, word metrics and cross-skeleton agreement (when measured)."""
    lines: list[str] = []
    if "side/text/n" in metrics:
        lines += ["", "## Side accuracy", "",
                  f"{count(metrics['side/text/n'], 'caption')} that name a side; percent "
                  "passed (chance 50 %, a tie fails).", "",
                  "| Similarity | text side (`side/text`): a motion prefers its caption to the "
                  "side-swapped one | motion side (`side/motion`): a caption prefers its "
                  "motion to the mirrored one |", "|---|---:|---:|"]
        for sim in SIMILARITIES:
            lines.append(f"| {sim} | {_cell(metrics, f'side/text/{sim}')} | "
                         f"{_cell(metrics, f'side/motion/{sim}')} |")
    if "words/n_motions" in metrics:
        lines += ["", "## Lexical words", "",
                  "| Measure | Value | Items |", "|---|---:|---:|",
                  f"| word precision@10 (motion's 10 heaviest words that are its captions' "
                  f"content lemmas; each form counts: raised, raises, raising are three) | "
                  f"{_cell(metrics, 'words/precision@10')} | "
                  f"{int(metrics['words/n_motions'])} motions |",
                  *([f"| motion word recall@10 (its captions' content lemmas among its 10 "
                     f"heaviest words, each lemma once) | "
                     f"{_cell(metrics, 'words/motion_recall@10')} | "
                     f"{int(metrics['words/n_motions'])} motions |"]
                    if "words/motion_recall@10" in metrics else []),
                  f"| query word recall@10 (caption's content lemmas among its 10 heaviest "
                  f"words) | {_cell(metrics, 'words/query_recall@10')} | "
                  f"{int(metrics['words/n_queries'])} captions |"]
    if "xskel/n" in metrics:
        lines += ["", "## Cross-skeleton agreement (native BVH vs its SMPL-22 conversion)", "",
                  f"{int(metrics['xskel/n'])} takes; dense motion-to-motion similarity; the "
                  "gallery of R@1 and MedR holds the split's motions, every conversion and "
                  "every other BVH take (a take nearer another take of its skeleton than its "
                  "own conversion is a miss). \"Own "
                  "conversion left out\" and npy action@5 count the "
                  f"{int(metrics.get('xskel/action@5/others/n', metrics['xskel/n']))} takes whose "
                  "action has another motion in the gallery.", "",
                  "| BVH -> npy R@1 | npy -> BVH R@1 | mutual @1 | BVH -> npy MedR | cosine | "
                  "BVH action@5 | BVH action@5, own conversion left out | npy action@5 |",
                  "|" + "---:|" * 8,
                  "| " + " | ".join(_cell(metrics, f"xskel/{k}") for k in (
                      "bvh->npy/R@1", "npy->bvh/R@1", "mutual@1", "bvh->npy/MedR", "cosine",
                      "action@5", "action@5/others", "npy_action@5")) + " |"]
    return lines


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically (temporary file in the same folder, then rename)."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_report_json(path: Path, value: Any) -> Path:
    """Write a report's JSON file atomically, indented by one space
    (:func:`~motionlex.core.json_io.write_json`); its floats, at any depth, are rounded to 6
    decimals (:func:`~motionlex.core.value_checks.rounded`) and its non-finite ones (a metric
    with nothing to measure) become null, which JSON can hold.

    Raises:
        OSError: as :func:`~motionlex.core.json_io.write_json`.
    """
    return write_json(path, rounded(value, nonfinite_to_null=True), indent=1)


REPORT_FILES = ("metrics.json", "evaluation.json", "metrics.md", "recall_at_k.png", "car.png",
                "zero_shot.json", "confusion_*.png")
"""Names (glob patterns) of the files an evaluation writes into its output folder."""


REPORT_RECORD = "evaluation.json"
"""The file that marks a folder as an evaluation's report (written first, so a report cut
short by a full disk is still recognised); its keys :data:`_RECORD_KEYS`."""

_RECORD_KEYS = ("checkpoint", "data", "split", "config")


def check_report_folder(out_dir: str | Path) -> None:
    """Refuse to write an evaluation report into a folder of other files: ``out_dir`` must
    be missing, empty or an earlier evaluation's report
    (its :data:`REPORT_RECORD` names checkpoint, data, split and config); other files of
    such a folder are left alone, as :func:`remove_stale_reports` says.

    Raises:
        FileExistsError: ``out_dir`` holds files and no earlier evaluation's record (the
            first few named).
    """
    root = Path(out_dir)
    if not root.is_dir():
        return
    try:
        record = json.loads((root / REPORT_RECORD).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        record = None
    if isinstance(record, dict) and all(k in record for k in _RECORD_KEYS):
        return
    held = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())
    if held:
        raise FileExistsError(
            f"cannot write the evaluation report to {root}: it holds {', '.join(held[:4])}"
            f"{f' and {len(held) - 4} more' if len(held) > 4 else ''} and no earlier "
            f"evaluation ({REPORT_RECORD}); the report's files (metrics.md, metrics.json, "
            f"figures) would replace files of the same name: give a new or empty folder, or "
            f"an earlier evaluation's --out")


def remove_stale_reports(out_dir: Path, written: Sequence[Path]) -> list[Path]:
    """Delete report files (:data:`REPORT_FILES`) in ``out_dir`` that this evaluation did not
    write: an earlier run's confusion matrices or CAR chart must not pass for this run's.
    Other files in the folder are left alone.

    Returns:
        The files removed.
    """
    keep = {Path(p).resolve() for p in written}
    stale = sorted({p for pattern in REPORT_FILES for p in Path(out_dir).glob(pattern)
                    if p.is_file() and p.resolve() not in keep})
    for p in stale:
        p.unlink()
    return stale
