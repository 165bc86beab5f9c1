"""The Markdown report: its retrieval tables, protocol legend and chronology columns."""

from __future__ import annotations

from motionlex.core.retrieval.evaluate import EvalConfig
from motionlex.core.retrieval.report import markdown_report


def test_markdown_report_rows():
    metrics = {"n/texts": 4.0, "n/motions": 2.0, "t2m/All/dense/R@1": 50.0,
               "t2m/All/dense/MedR": 1.5}
    info = {"checkpoint": "ckpt", "data": "data", "split": "val", "notes": ["a note"]}
    table = markdown_report(metrics, info, EvalConfig())
    assert "- a note" in table and "| dense | All | 50.00 | - | - | - | - | 1.50 |" in table
    assert "## Chronologically accurate retrieval" not in table
    assert "Small batches" not in table  # the legend names only the protocols reported


def test_protocol_legend_says_which_captions_and_how_many_motions():
    # "Small batches (32)" read 98.44 on Bandai val: 63 of 64 motions, 6 of 70 dropped
    metrics = {"n/texts": 140.0, "n/motions": 70.0, "t2m/SmallBatches/dense/R@1": 98.44,
               "t2m/Threshold/dense/R@1": 90.0}
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig())
    assert "the remainder dropped (64 of 70 motions)" in table
    assert "Threshold 0.95 with first captions" in table and "(cosine 0.9)" in table
    assert "All, first caption with each motion's first caption" in table


def test_chronology_columns_name_the_side_their_keys_measure():
    """The column titled "motion: true vs shuffled caption" held chronology/text (the motion
    choosing between captions: the text side) and read as the motion side."""
    metrics = {"n/texts": 2.0, "n/motions": 2.0, "chronology/n": 300.0,
               "synthetic_chronology/n": 50.0}
    for sim, base in (("dense", 10.0), ("lexical", 20.0), ("fused", 30.0)):
        for key, add in (("text", 1.0), ("motion", 2.0), ("both", 3.0)):
            metrics[f"chronology/{key}/{sim}"] = base + add
            metrics[f"synthetic_chronology/{key}/{sim}"] = base + add + 50.0
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig()).splitlines()
    for title, offset in (("## Chronology test on composed clips", 0.0),
                          ("## Synthetic chronology test", 50.0)):
        at = next(i for i, ln in enumerate(table) if ln.startswith(title))
        head = next(ln for ln in table[at:] if ln.startswith("| Similarity"))
        cols = [c.strip() for c in head.strip("|").split("|")]
        assert cols[1].startswith("text side: the motion picks")
        assert cols[2].startswith("motion side: the caption picks") and cols[3] == "both"
        dense = next(ln for ln in table[at:] if ln.startswith("| dense |"))
        assert [float(c) for c in dense.strip("|").split("|")[1:]] == [
            11.0 + offset, 12.0 + offset, 13.0 + offset]


def test_car_paragraph_says_what_the_headline_compares():
    """The headline CAR (orig->event) differs from its shuffles in wording too: the report
    says so and gives the form-matched event->event figure beside it (audit 32: a barely
    trained model scored 85 % orig->event and 52 % event->event)."""
    metrics = {"n/texts": 140.0, "n/motions": 70.0, "CAR/n": 128.0, "CAR/n_captions": 28.0,
               "CAR/chance": 50.0, "CAR": 85.16,
               "CAR/orig->event/dense": 85.16, "CAR/event->event/dense": 52.34}
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig())
    assert "The headline `CAR` is orig->event, dense (85.16 %)" in table
    assert "differ in wording as well as in order" in table
    assert "event->event (the events joined in the true order against the same shuffles, " \
           "dense 52.34 %) compares order alone" in table


def test_car_paragraph_says_which_motions_the_retrieval_columns_query():
    """The CAR table's R@k read 50.0 on Bandai val against 97.1 without composed clips:
    the report now says the split's own motions query (Fujiwara et al. Table 1)."""
    metrics = {"n/texts": 140.0, "n/motions": 70.0, "CAR/n": 128.0, "CAR/n_captions": 28.0,
               "CAR/chance": 50.0, "CAR": 96.88, "m2t/CAR/n_motions": 70.0,
               "m2t/CAR/n_shuffles": 28.0}
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig())
    assert ("the split's 70 motions query its captions plus the 28 shuffled versions of "
            "its own multi-event captions") in table
    metrics["m2t/CAR/n_shuffles"] = 0.0
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig())
    assert "Retrieval columns left out" in table


def test_action_classification_says_whether_it_is_zero_shot_and_gives_chance():
    """Bandai val's 10 actions are named by the default model's training captions: the
    section was titled zero-shot (CLI/science audit 35) and gave no chance level."""
    metrics = {"n/texts": 140.0, "n/motions": 70.0, "zero-shot/n": 70.0,
               "zero-shot/classes": 10.0}
    for sim in ("dense", "lexical", "fused"):
        metrics[f"zero-shot/{sim}/top1"], metrics[f"zero-shot/{sim}/top5"] = 90.0, 100.0
    info = {"checkpoint": "c", "data": "d", "split": "val"}
    unseen = markdown_report(metrics, info, EvalConfig())
    assert "## Zero-shot action classification" in unseen and "Not zero-shot" not in unseen
    assert "| chance | 10.00 | 50.00 |" in unseen
    seen = markdown_report(metrics, {**info, "classes_seen_in_training": True}, EvalConfig())
    assert "## Action classification by prompt (classes seen in training)" in seen
    assert "Not zero-shot: the checkpoint was trained on this dataset" in seen
    assert "## Zero-shot" not in seen


def test_a_report_json_writes_a_metric_with_nothing_to_measure_as_null(tmp_path):
    """JSON holds no NaN: a report's non-finite figures become null; one-space indent, via
    the one JSON writer (code review 36 F6), atomically."""
    import json
    import math

    from motionlex.core.retrieval.report import write_report_json

    metrics = {"t2m/All/dense/R@1": 50.0, "t2m/Threshold/dense/R@1": math.nan,
               "t2m/All/dense/MedR": math.inf, "n/motions": 2}
    path = write_report_json(tmp_path / "metrics.json", metrics)
    assert path.read_text() == json.dumps({**metrics, "t2m/Threshold/dense/R@1": None,
                                           "t2m/All/dense/MedR": None}, indent=1) + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_report_json_rounds_float_noise_and_the_report_explains_its_keys(tmp_path):
    """metrics.json held 0.6000000000000001 and 56.99999999999999 (CLI audit 36 P1), and no
    key was explained: 'side/text' reads like the other column (U2)."""
    import json

    from motionlex.core.retrieval.report import KEY_GLOSSARY, write_report_json

    path = write_report_json(tmp_path / "metrics.json", {"fusion_weight": 0.1 + 0.5,
                                                         "CAR": 57 - 1e-14, "n/texts": 140})
    assert json.loads(path.read_text()) == {"fusion_weight": 0.6, "CAR": 57.0, "n/texts": 140}
    table = markdown_report({"n/texts": 4, "n/motions": 2, "side/text": 50.0},
                            {"checkpoint": "c", "data": "d", "split": "val"}, EvalConfig())
    keys = table.split("## Keys of metrics.json", 1)[1]
    assert keys.count("\n| `") == len(KEY_GLOSSARY)
    assert "`side/text, side/motion (/SIM)` | side accuracy in percent; text: a motion " \
           "prefers its caption to the side-swapped caption" in keys
    assert "`AllFirst` (the table's \"All, first caption\")" in keys
