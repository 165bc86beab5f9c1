"""motionlex evaluate on real data with a tiny model: metrics, tables, figures, BVH, errors."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motionlex.core import __version__
from motionlex.core.cli import main
from motionlex.core.data.pairs import compute_patch_stats, load_pair_examples
from motionlex.core.data.text_files import DatasetError
from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.chronology import composed_test_examples
from motionlex.core.retrieval.embed import encode_motions
from motionlex.core.retrieval.eval_data import load_eval_set
from motionlex.core.retrieval.evaluate import (
    EVAL_STAGES,
    EvalConfig,
    evaluate,
    evaluate_steps,
    validation_metrics,
)
from motionlex.core.retrieval.fingerprints import model_fingerprint
from motionlex.core.retrieval.fusion import choose_fusion_weight, fuse
from motionlex.core.retrieval.metrics import bidirectional_metrics
from motionlex.core.retrieval.protocols import (
    caption_similarity,
    protocol_small_batches,
    protocol_threshold,
    sentence_encoder,
)
from motionlex.core.text.orders import normalize_caption

PNG = b"\x89PNG\r\n\x1a\n"


KS = ("R@1", "R@2", "R@3", "R@5", "R@10")


def _copy_split(src, root, splits):
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    meta = json.loads((src / "meta.json").read_text())
    ids = []
    for name, chosen in splits.items():
        for i in chosen:
            shutil.copy(src / "new_joints" / f"{i}.npy", root / "new_joints")
            shutil.copy(src / "texts" / f"{i}.txt", root / "texts")
        (root / f"{name}.txt").write_text("\n".join(chosen) + "\n")
        ids += chosen
    (root / "meta.json").write_text(json.dumps({i: meta[i] for i in ids}))
    return root


@pytest.fixture(scope="module")
def bandai_slice(shared_data, tmp_path_factory):
    """Real Bandai clips: 60 train (for patch statistics) and 35 val over all 10 val actions."""
    src = shared_data / "bandai"
    read = lambda name: [ln.strip() for ln in (src / name).read_text().splitlines()]  # noqa: E731
    return _copy_split(src, tmp_path_factory.mktemp("data") / "bandai_slice",
                       {"train": read("train.txt")[::49][:60], "val": read("val.txt")[::2]})


@pytest.fixture(scope="module")
def checkpoint(bandai_slice, tmp_path_factory):
    """A tiny untrained model saved with patch statistics of real training clips."""
    train = load_pair_examples([bandai_slice], "train", with_events=False, progress=False)
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu")
    out = tmp_path_factory.mktemp("ckpt") / "model"
    stats = compute_patch_stats(train, source="bandai_slice/train")
    model.save_pretrained(out, extra_json={"patch_stats.json": stats.to_dict()})
    return out


def _cli(argv):
    return main(argv)


def _positives(texts, owners, m):
    """All-protocol positives built independently: same normalised caption string."""
    keys = [normalize_caption(t) for t in texts]
    pos = np.zeros((len(texts), m), bool)
    for k, j in enumerate(owners):
        pos[:, j] |= np.array([key == keys[k] for key in keys])
    return pos


def test_val_metrics_match_retrieval_and_reports_are_written(checkpoint, bandai_slice,
                                                             tmp_path, terminal_report):
    out = tmp_path / "eval"
    cfg = EvalConfig(sentence_model=None, chronology_pairs=8, synthetic_chronology=6,
                     progress=False)
    res = evaluate(checkpoint, bandai_slice, out, cfg)
    metrics = json.loads((out / "metrics.json").read_text())
    # the synthetic motion-side chronology test: 6 pairs, 'both' never above either half
    assert metrics["synthetic_chronology/n"] == 6
    for sim in ("dense", "lexical", "fused"):
        t, mo, b = (metrics[f"synthetic_chronology/{k}/{sim}"] for k in ("text", "motion", "both"))
        # multiples of 100/6 as stored: 6 decimals (value_checks.rounded)
        assert all(min(abs(v - 100 * i / 6) for i in range(7)) < 1e-6 for v in (t, mo, b))
        assert b <= min(t, mo)
    assert "Synthetic chronology test" in (out / "metrics.md").read_text()
    assert metrics == pytest.approx(res.metrics)
    n, m = res.dense.shape
    assert (metrics["n/texts"], metrics["n/motions"]) == (n, m) == (70, 35)

    # keys, ranges and monotone recall for every direction x protocol x similarity
    for d in ("t2m", "m2t"):
        for proto in ("All", "AllFirst", "SmallBatches"):
            for sim in ("dense", "lexical", "fused"):
                vals = [metrics[f"{d}/{proto}/{sim}/{k}"] for k in KS]
                assert all(0 <= v <= 100 for v in vals) and vals == sorted(vals)
                assert 1 <= metrics[f"{d}/{proto}/{sim}/MedR"] <= max(n, m)
            for k in KS + ("MedR",):  # unqualified keys are the dense ones
                assert metrics[f"{d}/{proto}/{k}"] == metrics[f"{d}/{proto}/dense/{k}"]
    assert not any(k.startswith("t2m/Threshold") for k in metrics)  # no sentence model

    # the same numbers as retrieval.py on the same similarities
    pos = _positives(res.texts, res.text_motion, m)
    w = metrics["fusion_weight"]
    assert w == choose_fusion_weight(res.dense, res.lexical, pos, direction="both")
    for sim, (t2m, m2t) in {
        "dense": (res.dense, None),
        "fused": (fuse(res.dense, res.lexical, w, axis=1), fuse(res.dense, res.lexical, w, axis=0)),
    }.items():
        ref = bidirectional_metrics(t2m, pos, sim_m2t=m2t)
        for d in ("t2m", "m2t"):
            for k, v in ref[d].items():
                assert metrics[f"{d}/All/{sim}/{k}"] == pytest.approx(v)
    first = np.unique(res.text_motion, return_index=True)[1]
    # the papers' protocol: each motion's first caption queries the whole split, and a
    # motion is a positive when its first caption is the same (the reference code's rule)
    first_pos = _positives([res.texts[i] for i in first], np.arange(m), m)
    assert (first_pos <= pos[first]).all()  # never more positives than any-caption matching
    small = protocol_small_batches(res.dense[first], 32, 0, positives=first_pos)
    assert metrics["m2t/SmallBatches/dense/R@5"] == pytest.approx(small["m2t"]["R@5"])
    paper = bidirectional_metrics(res.dense[first], first_pos)
    assert len(first) == m < n
    for d in ("t2m", "m2t"):
        for k, v in paper[d].items():
            assert metrics[f"{d}/AllFirst/dense/{k}"] == pytest.approx(v)
    assert "| dense | All, first caption |" in (out / "metrics.md").read_text()

    # validation during training: the same All numbers and fusion weight as evaluate
    model = MotionTextModel.from_pretrained(checkpoint, device="cpu")
    examples = load_pair_examples([bandai_slice], "val", progress=False)
    val = validation_metrics(model, examples, PatchStats.load(checkpoint / "patch_stats.json"))
    for d in ("t2m", "m2t"):
        for sim in ("dense", "lexical"):
            for k in KS + ("MedR",):
                assert val[f"{d}/{sim}/{k}"] == pytest.approx(metrics[f"{d}/All/{sim}/{k}"])
    assert val["fusion_weight"] == pytest.approx(w)
    assert val["CAR/n"] == metrics["CAR/n_captions"] and 0 <= val["CAR"] <= 100
    # side accuracy and word metrics: one definition in evaluate and in validation
    assert metrics["side/text/n"] > 0 and metrics["words/n_motions"] == m
    for key in ("side/text", "side/motion", "side/text/lexical", "side/motion/fused",
                "side/text/n", "words/precision@10", "words/query_recall@10"):
        assert val[key] == pytest.approx(metrics[key])
    assert metrics["side/text"] == metrics["side/text/dense"]
    assert 0 <= metrics["words/precision@10"] <= 1 and 0 <= metrics["words/query_recall@10"] <= 1
    md = (out / "metrics.md").read_text()
    assert "## Side accuracy" in md and "## Lexical words" in md

    # CAR (both settings, real multi-event captions + composed) and the chronology test
    assert metrics["CAR"] == metrics["CAR/orig->event/dense"]
    assert metrics["CAR/n"] == metrics["CAR/n_captions"] + 8 and metrics["chronology/n"] == 8
    for key in ("CAR/event->event/fused", "chronology/motion/lexical", "chronology/both/dense",
                "m2t/CAR-event->event/dense/R@10"):
        assert 0 <= metrics[key] <= 100
    # the papers' CAR set: each motion's first caption with two or more events, from the data
    from motionlex.core.text.events import split_events_batch
    from motionlex.core.text.orders import num_orders

    first_rows = np.unique(res.text_motion, return_index=True)[1]
    parsed = split_events_batch([res.texts[i] for i in first_rows])
    want = sum(len(ev) > 1 and num_orders(ev) > 1 for ev in parsed)  # a wrong order exists
    assert metrics["CAR/first/n"] == want > 0 and want < metrics["CAR/n_captions"]
    assert "The papers' CAR set" in (out / "metrics.md").read_text()
    assert metrics["chronology/both/dense"] <= min(metrics["chronology/text/dense"],
                                                    metrics["chronology/motion/dense"])

    # zero-shot on the 10 val actions: confusion matrices count every motion once
    zs = json.loads((out / "zero_shot.json").read_text())
    meta = json.loads((bandai_slice / "meta.json").read_text())
    val_ids = (bandai_slice / "val.txt").read_text().split()
    assert zs["classes"] == sorted({meta[i]["action"] for i in val_ids})
    prompt = zs["prompts"][zs["classes"].index("raise-up-both-hands")]
    assert prompt == "a person raise up both hands"  # the paper's class prompt
    for sim in ("dense", "lexical", "fused"):
        cm = np.array(zs["confusion"][sim])
        assert cm.shape == (10, 10) and cm.sum() == metrics["zero-shot/n"] == m
        assert 100.0 * np.trace(cm) / m == pytest.approx(metrics[f"zero-shot/{sim}/top1"])
        assert metrics[f"zero-shot/{sim}/top1"] <= metrics[f"zero-shot/{sim}/top5"]

    # the Markdown table and the figures
    table = (out / "metrics.md").read_text()
    assert table == res.table
    for line in ("## Text-to-motion retrieval", "## Motion-to-text retrieval", "| dense | All |",
                 "| fused | Small batches (32) |", "chosen on this split (val)",
                 "## Chronologically accurate retrieval (CAR)", "| lexical | ",
                 "## Chronology test on composed clips", "## Zero-shot action classification"):
        assert line in table
    import matplotlib.image as mpimg

    for name in ("recall_at_k", "car", "confusion_dense", "confusion_lexical", "confusion_fused"):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 10_000
        img = mpimg.imread(png)
        assert img.shape[0] > 300 and img.shape[1] > 400 and img.std() > 0.01
    assert not list(out.glob(".*"))  # no temporary files left
    terminal_report.append(
        f"evaluate (tiny, untrained) bandai val slice: t2m All dense R@10 "
        f"{metrics['t2m/All/dense/R@10']:.1f} %, CAR {metrics['CAR']:.1f} % "
        f"(n={int(metrics['CAR/n'])}), zero-shot top-1 {metrics['zero-shot/dense/top1']:.1f} %, "
        f"fusion weight {w:.2f}")


def test_threshold_protocol_with_real_minilm(checkpoint, shared_data, tmp_path):
    src = shared_data / "bandai"
    val = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][::6]
    data = _copy_split(src, tmp_path / "tiny_val", {"val": val})
    (data / "meta.json").unlink()  # no action labels: zero-shot is skipped, and says so
    cfg = EvalConfig(chronology_pairs=0, progress=False, fusion_weight=0.25)
    res = evaluate(checkpoint, data, tmp_path / "out", cfg)
    assert res.metrics["fusion_weight"] == 0.25 and "given" in res.notes[0]
    assert any(n.startswith("zero-shot classification skipped: 0 action label(s)")
               for n in res.notes) and not any(k.startswith("zero-shot/") for k in res.metrics)
    first = np.unique(res.text_motion, return_index=True)[1]
    captions = [res.texts[i] for i in first]
    tts = caption_similarity(captions, sentence_encoder())
    ref = protocol_threshold(res.dense[first], tts, 0.95)
    for d in ("t2m", "m2t"):
        for k in KS + ("MedR",):
            assert res.metrics[f"{d}/Threshold/dense/{k}"] == pytest.approx(ref[d][k])
    # MiniLM puts the two template captions of one clip above the cut-off (cos >= 0.9) ...
    both = caption_similarity(res.texts[:2], sentence_encoder())
    assert res.text_motion[0] == res.text_motion[1] and both[0, 1] >= 0.9
    # ... so Threshold positives include the diagonal ones and recall can only be higher
    diag = bidirectional_metrics(res.dense[first], np.eye(len(first), dtype=bool))
    assert all(res.metrics[f"t2m/Threshold/dense/{k}"] >= diag["t2m"][k] for k in KS)
    assert "Threshold 0.95" in res.table


def test_bvh_folder_cross_skeleton_through_cli(checkpoint, shared_data, tmp_path, capsys):
    out = tmp_path / "bvh_eval"
    ckpt = tmp_path / "model"  # a checkpoint whose training chose a fusion weight on val
    shutil.copytree(checkpoint, ckpt)
    (ckpt / "val_metrics.json").write_text(json.dumps({"fusion_weight": 0.3, "CAR": 50.0}))
    out.mkdir()  # an earlier evaluation's report here, and a file of the user's
    (out / "evaluation.json").write_text(json.dumps(
        {"checkpoint": "m", "data": "walkrun", "split": "val", "config": {}}))
    (out / "confusion_walkrun.png").write_bytes(PNG)
    (out / "notes.txt").write_text("mine")
    rc = _cli(["evaluate", "--checkpoint", str(ckpt), "--data",
               str(shared_data / "raw_bvh"), "--out", str(out), "--sentence-model", "none",
               "--chronology-pairs", "0", "-q"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "| dense | All |" in printed and "cross-skeleton: 10 BVH motions" in printed
    assert "joints as read: a floor-marker root dropped" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n/motions"] == 10 and metrics["n/texts"] == 10
    assert metrics["fusion_weight"] == 0.3 and "val_metrics.json" in printed
    for d in ("t2m", "m2t"):  # a gallery of 10: every query is found within 10
        assert metrics[f"{d}/All/fused/R@10"] == 100.0
        assert 1 <= metrics[f"{d}/All/dense/MedR"] <= 10
    assert not any("SmallBatches" in k for k in metrics)  # fewer than 32 motions
    assert metrics["zero-shot/n"] == 6  # the Bandai BVH files carry an action
    info = json.loads((out / "evaluation.json").read_text())
    assert info["split"] == "all" and info["layout"] == "bvh"
    assert (out / "recall_at_k.png").read_bytes()[:8] == PNG
    # the earlier run's report file is gone (it is not this run's); the user's file stays
    assert not (out / "confusion_walkrun.png").exists()
    assert (out / "notes.txt").read_text() == "mine"


def test_a_folder_of_the_users_own_files_is_refused(checkpoint, bandai_slice, tmp_path,
                                                    capsys):
    """``evaluate --out DIR`` replaced a user's own ``metrics.md`` in DIR without a word
    (index, stats and save_pretrained refuse such folders): refused before any work, naming
    the files; its own earlier report is written over (the user's other files kept)."""
    mine = tmp_path / "myproject"
    mine.mkdir()
    (mine / "metrics.md").write_text("# my hand-written notes\n")
    (mine / "data.csv").write_text("1,2\n")
    argv = ["evaluate", "--checkpoint", str(checkpoint), "--data", str(bandai_slice),
            "--split", "val", "--out", str(mine), "--sentence-model", "none",
            "--chronology-pairs", "0", "--car-shuffles", "1", "-q"]
    assert _cli(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"motionlex evaluate: error: cannot write the evaluation report to {mine}: "
                   "it holds data.csv, metrics.md and no earlier evaluation (evaluation.json); "
                   "the report's files (metrics.md, metrics.json, figures) would replace files "
                   "of the same name: give a new or empty folder, or an earlier evaluation's "
                   "--out")
    assert (mine / "metrics.md").read_text() == "# my hand-written notes\n"
    with pytest.raises(FileExistsError, match="holds data.csv, metrics.md and no earlier"):
        evaluate(checkpoint, bandai_slice, mine, EvalConfig(progress=False))
    ours = tmp_path / "ours"
    ours.mkdir()  # an empty folder is fine, and so is the report folder a second time
    argv[argv.index(str(mine))] = str(ours)
    assert _cli(argv) == 0
    first = json.loads((ours / "metrics.json").read_text())
    (ours / "notes.txt").write_text("mine")
    assert _cli(argv) == 0
    assert json.loads((ours / "metrics.json").read_text()) == first
    assert (ours / "notes.txt").read_text() == "mine"


def test_cli_errors_exit_2_with_clear_messages(checkpoint, bandai_slice, tmp_path, capsys):
    missing = tmp_path / "no_such_model"
    base = ["--data", str(bandai_slice), "--out", str(tmp_path / "o")]
    assert _cli(["evaluate", "--checkpoint", str(missing)] + base) == 2
    err = capsys.readouterr().err
    assert "is not a motionlex model folder" in err and str(missing) in err
    assert _cli(["evaluate", "--checkpoint", str(checkpoint), "--split", "test"] + base) == 2
    err = capsys.readouterr().err
    assert "split file not found" in err and "test.txt" in err and "val" in err
    assert "stage" not in err  # one line, before any progress bar was drawn
    assert _cli(["evaluate", "--checkpoint", str(checkpoint), "--data",
                 str(tmp_path / "no_data"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "dataset folder not found" in err and "stage" not in err
    with pytest.raises(SystemExit) as e:  # refused while parsing, before any loading
        _cli(["evaluate", "--checkpoint", str(checkpoint), "--prompt", "a person"] + base)
    assert e.value.code == 2 and "'a person' must hold {action}" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_documented_errors(checkpoint, shared_data, tmp_path, monkeypatch):
    no_stats = tmp_path / "model"
    shutil.copytree(checkpoint, no_stats)
    (no_stats / "patch_stats.json").unlink()
    with pytest.raises(FileNotFoundError, match="patch_stats.json"):
        evaluate(no_stats, shared_data / "bandai", tmp_path / "o")
    with pytest.raises(ValueError, match="fusion_weight must be in"):
        EvalConfig(fusion_weight=1.5)
    cmu = tmp_path / "cmu"
    cmu.mkdir()
    for name in ("cmu_07_03_daz.bvh", "cmu_10_04_daz.bvh", "index.json"):
        shutil.copy(shared_data / "raw_bvh" / name, cmu)
    with pytest.raises(ValueError, match="needs >= 2 action labels"):
        evaluate(checkpoint, cmu, tmp_path / "o", EvalConfig(zero_shot=True, progress=False))
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        load_eval_set(tmp_path / "nowhere", "val")
    with pytest.raises(DatasetError, match="not a motion dataset"):
        load_eval_set(no_stats, "val")
    empty = tmp_path / "uncaptioned"
    empty.mkdir()
    shutil.copy(shared_data / "raw_bvh" / "cmu_07_03_daz.bvh", empty)
    with pytest.raises(ValueError, match="no BVH file with a caption"):
        load_eval_set(empty, "all", progress=False)
    model = MotionTextModel.from_pretrained(checkpoint, device="cpu")
    with pytest.raises(ValueError, match="no motions"):
        encode_motions(model, [], None)
    with pytest.raises(FileNotFoundError, match="sentence model not found"):
        sentence_encoder(str(tmp_path / "no_sentence_model"))
    # a mistyped sentence model fails at the first step, before any data is read
    steps = evaluate_steps(checkpoint, tmp_path / "nowhere", tmp_path / "o2",
                           EvalConfig(sentence_model="all-minilm-typo", progress=False))
    with pytest.raises(FileNotFoundError, match="sentence model not found: all-minilm-typo"):
        next(steps)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ImportError, match="sentence_transformers"):
        sentence_encoder()


def test_evaluate_steps_yield_stages_and_cancel_writes_nothing(checkpoint, bandai_slice,
                                                              tmp_path):
    cfg = EvalConfig(sentence_model=None, chronology_pairs=0, synthetic_chronology=0,
                     zero_shot=False, progress=False)
    out = tmp_path / "eval"
    steps = evaluate_steps(checkpoint, bandai_slice, out, cfg)
    assert [next(steps) for _ in range(3)] == [(i, EVAL_STAGES) for i in range(3)]
    steps.close()  # cancelled before the last stage: no file
    assert not out.exists()
    seen = []
    steps = evaluate_steps(checkpoint, bandai_slice, out, cfg)
    while True:
        try:
            seen.append(next(steps)[0])
        except StopIteration as stop:
            result = stop.value
            break
    assert seen == list(range(EVAL_STAGES + 1))
    assert (out / "metrics.json").is_file() and "t2m/All/dense/R@1" in result.metrics


def test_validation_car_is_evaluate_car(checkpoint, bandai_slice, tmp_path):
    """Every CAR number of validation during training equals ``motionlex evaluate``'s on the
    same split, captions, shuffles and seed (evaluate without composed pairs, whose captions
    would join its gallery), fused included (both choose the weight on this split); more
    shuffles make it stricter (each must be beaten)."""
    model = MotionTextModel.from_pretrained(checkpoint, device="cpu")
    stats = PatchStats.load(checkpoint / "patch_stats.json")
    examples = load_pair_examples([bandai_slice], "val", progress=False)
    one = validation_metrics(model, examples, stats)
    assert one["CAR"] == one["CAR/orig->event/dense"] and one["CAR/chance"] == 50.0
    ev = evaluate(checkpoint, bandai_slice, tmp_path / "eval", EvalConfig(
        sentence_model=None, chronology_pairs=0, synthetic_chronology=0, zero_shot=False,
        progress=False)).metrics
    car = {k: v for k, v in one.items() if k.startswith(("CAR", "m2t/CAR"))}
    assert len(car) > 20 and one["CAR/n"] > 5
    assert {k: ev[k] for k in car} == pytest.approx(car)
    assert ev["fusion_weight"] == one["fusion_weight"]
    # one name for one metric: compare reads validation's t2m/dense/R@1 as evaluate's All key
    from motionlex.core.retrieval.compare import canonical_metrics

    named = canonical_metrics(one)
    all_keys = [k for k in named if k.startswith(("t2m/All/", "m2t/All/"))]
    assert len(all_keys) == 36 and {k: ev[k] for k in all_keys} == pytest.approx(
        {k: named[k] for k in all_keys})
    five = validation_metrics(model, examples, stats, car_shuffles=5)
    assert five["CAR/n"] == one["CAR/n"] and five["CAR/chance"] <= one["CAR/chance"]


def test_training_validation_draws_evaluates_composed_pairs(checkpoint, bandai_slice,
                                                           tmp_path, monkeypatch):
    """The run's val pairs (the split plus :func:`composed_test_examples`, as
    ``TrainingRun`` builds them) give the same CAR and chronology numbers as ``motionlex
    evaluate`` on that split: the same composed pairs and shuffles, drawn from one seed
    (audit 32: CAR 81.25 in val_metrics.json against 85.16 in evaluate, both over 128)."""
    model = MotionTextModel.from_pretrained(checkpoint, device="cpu")
    stats = PatchStats.load(checkpoint / "patch_stats.json")
    examples = load_pair_examples([bandai_slice], "val", progress=False)
    composed = composed_test_examples(examples, 20)
    again = composed_test_examples(examples, 20)
    assert len(composed) == 20 and [e.caption for e in again] == [e.caption for e in composed]
    val = validation_metrics(model, examples + composed, stats, words=False)
    monkeypatch.chdir(checkpoint.parent)  # the checkpoint given as typed, relative
    ev = evaluate(Path(checkpoint.name), bandai_slice, tmp_path / "eval", EvalConfig(
        sentence_model=None, chronology_pairs=20, synthetic_chronology=0, zero_shot=False,
        progress=False)).metrics
    # evaluation.json: where the checkpoint is from anywhere, which weights, which motionlex
    info = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert info["checkpoint"] == str(checkpoint.resolve())
    assert info["model_sha256"] == model_fingerprint(model)
    assert info["motionlex_version"] == __version__ and info["date"][:2] == "20"
    assert type(ev["CAR/n"]) is int and type(ev["n/texts"]) is int  # counts stored as ints
    assert val["CAR/n"] == ev["CAR/n"] > ev["CAR/n_captions"]  # composed captions counted
    assert val["chronology/n"] == ev["chronology/n"] == 20
    same = [k for k in val if k.startswith(("CAR", "m2t/CAR", "chronology/motion"))
            and "/fused" not in k]  # fused: each chooses its weight on its own gallery
    assert len(same) > 20 and "CAR" in same and "chronology/motion/dense" in same
    assert {k: ev[k] for k in same} == pytest.approx({k: val[k] for k in same})


def test_evaluate_with_bvh_pairs_reports_cross_skeleton_agreement(checkpoint, shared_data,
                                                                  tmp_path):
    src = shared_data / "bandai"
    val = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][:4]
    root = _copy_split(src, tmp_path / "bandai", {
        "val": val, "train": ["bn2_wave-right-hand_normal_001", "bn1_bow_normal_001"]})
    cfg = EvalConfig(sentence_model=None, chronology_pairs=0, synthetic_chronology=0,
                     zero_shot=False, progress=False,
                     bvh_pairs=str(shared_data / "raw_bvh"))
    res = evaluate(checkpoint, root, tmp_path / "eval", cfg)
    assert res.metrics["xskel/n"] == 2  # the other Bandai takes' conversions are not in root
    assert 0 <= res.metrics["xskel/bvh->npy/R@1"] <= 100
    assert sum("no conversion" in n for n in res.notes) == 8
    assert "## Cross-skeleton agreement" in res.table


def test_notes_on_what_the_numbers_can_mean(shared_data, tmp_path):
    """A one-motion gallery (humanml3d_samples test: its other motion has no caption) and a
    split the checkpoint trained on used to give R@k = 100 without a word."""
    from motionlex.core.retrieval.evaluate import _setting_notes

    data = load_eval_set(shared_data / "humanml3d_samples", "test", progress=False)
    assert data.notes == ["1 of the 2 motions of split 'test' has no usable caption: left "
                          "out of the gallery"]
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    assert "a gallery of 1 motion: R@k says little" in _setting_notes(ckpt, data, 1)[0]
    (ckpt / "train_config.json").write_text(json.dumps(
        {"data": [str(shared_data / "humanml3d_samples")]}))
    assert _setting_notes(ckpt, data, 40) == []  # the test split: fine
    train = load_eval_set(shared_data / "bandai", "val", progress=False)
    (ckpt / "train_config.json").write_text(json.dumps({"data": [str(shared_data / "bandai")]}))
    # val: the split the checkpoint and its fusion weight were chosen on (auditor's point:
    # the figures were reported as if held out)
    assert _setting_notes(ckpt, train, 70) == [
        f"selection-split figures: this checkpoint (and the fusion weight in its "
        f"val_metrics.json) was chosen on the val split of {shared_data / 'bandai'} during "
        f"training, so these figures are somewhat optimistic next to a held-out test split"]
    notes = _setting_notes(ckpt, dataclasses.replace(train, split="train"), 70)
    assert len(notes) == 1 and notes[0].startswith("training-set figures: this checkpoint "
                                                   "was trained on the train split of")
    # a shipped model records a folder of its training machine by name (the default
    # model's "demo-data"): a folder of that name is the one it was trained on
    from motionlex.core.retrieval.evaluate import _trained_on

    (ckpt / "train_config.json").write_text(json.dumps({"data": ["bandai"]}))
    assert _trained_on(ckpt, train) and len(_setting_notes(ckpt, train, 70)) == 1
    (ckpt / "train_config.json").write_text(json.dumps({"data": ["/elsewhere/bandai"]}))
    assert not _trained_on(ckpt, train)  # an absolute path is compared as a path


def test_fusion_weight_falls_back_to_half_when_val_txt_is_empty(shared_data, tmp_path):
    """cmu_kitml and humanml3d_samples ship an empty val.txt: a checkpoint without a stored
    weight evaluated on another split failed with "val.txt lists no motion" (the weight was
    to be chosen on val) instead of using the documented default 0.5."""
    from motionlex.core.retrieval.evaluate import EvalConfig, _fusion_weight

    data = load_eval_set(shared_data / "cmu_kitml", "all", progress=False)
    assert (shared_data / "cmu_kitml" / "val.txt").read_text().strip() == ""
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()  # no val_metrics.json: no stored weight
    chosen = []
    w, source = _fusion_weight(EvalConfig(progress=False), ckpt, data, chosen.append)
    assert w == 0.5 and chosen == [] and "val.txt is empty" in source


def test_evaluate_on_a_folder_with_an_empty_val_split(checkpoint, shared_data, tmp_path):
    """End to end on cmu_kitml (empty val.txt, no caption naming a side): the report uses
    the default weight and says why side accuracy is missing."""
    cfg = EvalConfig(chronology_pairs=0, zero_shot=False, progress=False, sentence_model=None,
                     split="all")
    res = evaluate(checkpoint, shared_data / "cmu_kitml", tmp_path / "out", cfg)
    assert res.metrics["fusion_weight"] == 0.5 and "val.txt is empty" in res.notes[0]
    assert any(n.startswith("Side accuracy skipped") for n in res.notes)
    assert not any(k.startswith("side/") for k in res.metrics)


def test_test_split_takes_the_fusion_weight_chosen_on_the_folders_val_split(
        checkpoint, shared_data, tmp_path, make_subset):
    """The papers' evaluation: ``--split test`` of a folder with a val split and a checkpoint
    that recorded no weight. The weight is chosen on val (encoded on its own, apart from the
    split evaluated), never on test, and equals the weight an evaluation of val itself
    chooses from its own scores."""
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines() if ln.strip()]
    val, test = ids[20:30], ids[30:40]  # this model's best weights differ on the two
    folder = make_subset(src, tmp_path / "bandai_vt", val + test,
                         splits={"val": val, "test": test})
    assert not (checkpoint / "val_metrics.json").exists()
    cfg = EvalConfig(sentence_model=None, chronology_pairs=0, progress=False, car_shuffles=1)
    on_test = evaluate(checkpoint, folder, tmp_path / "test", dataclasses.replace(cfg,
                                                                                   split="test"))
    on_val = evaluate(checkpoint, folder, tmp_path / "val", dataclasses.replace(cfg, split="val"))
    assert on_test.notes[0].startswith(
        f"fusion weight {on_test.metrics['fusion_weight']:.2f}: chosen on bandai_vt [val]")
    assert on_test.metrics["n/motions"] == 10
    assert on_test.metrics["fusion_weight"] == on_val.metrics["fusion_weight"]
    chosen_on_test = choose_fusion_weight(on_test.dense, on_test.lexical,
                                          on_test.text_motion[:, None] == np.arange(10),
                                          direction="both")
    assert "chosen on this split (val)" in on_val.notes[0]
    assert on_test.metrics["fusion_weight"] != 0.5  # not the default either
    assert chosen_on_test != on_test.metrics["fusion_weight"]


def test_all_first_keeps_one_crop_per_motion_id_when_captions_carry_spans(
        checkpoint, shared_data, tmp_path):
    """HumanML3D captions carry time spans, each cut into its own gallery motion (All). The
    papers' test set keeps one entry per motion id, its first caption and that caption's
    crop (Yu et al. Sec. 4.1; TMR's annotation 0): AllFirst once queried the first caption
    of every crop, over every crop (auditor's finding)."""
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][::7][:8]
    root = _copy_split(src, tmp_path / "spans", {"val": ids})
    for k, i in enumerate(ids):  # line 1: whole clip; line 2: a span (every other id)
        first, second = (root / "texts" / f"{i}.txt").read_text().splitlines()[:2]
        if k % 2:
            second = second.rsplit("#", 2)[0] + "#0.5#2.0"
        (root / "texts" / f"{i}.txt").write_text(first + "\n" + second + "\n")
    cfg = EvalConfig(chronology_pairs=0, zero_shot=False, progress=False, sentence_model=None,
                     split="val")
    res = evaluate(checkpoint, root, tmp_path / "out", cfg)
    metrics = res.metrics
    assert (metrics["n/texts"], metrics["n/motions"], metrics["n/first_captions"]) == (16, 12, 8)
    # independently: each id's first line queries the crops of the first lines alone
    first_rows = [2 * k for k in range(8)]  # two captions per id, in file order
    texts = [res.texts[r] for r in first_rows]
    assert texts == [(root / "texts" / f"{i}.txt").read_text().split("#")[0] for i in ids]
    cols = res.text_motion[first_rows]
    assert len(set(cols.tolist())) == 8
    ref = bidirectional_metrics(res.dense[np.ix_(first_rows, cols)],
                                _positives(texts, np.arange(8), 8))
    for d in ("t2m", "m2t"):
        for k, v in ref[d].items():
            assert metrics[f"{d}/AllFirst/dense/{k}"] == pytest.approx(v)
    assert "over the 8 crops those captions cut" in res.table
