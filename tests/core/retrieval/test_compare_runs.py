"""motionlex compare: runs and seeds side by side, one metric name for validation and evaluate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlex.core.cli import main
from motionlex.core.retrieval.compare import (
    canonical_metrics,
    comparison_json,
    comparison_table,
    parse_column,
    read_columns,
    select_metrics,
)
from motionlex.core.retrieval.compare_checks import check_comparable


def _write(folder, metrics, record=None, name="metrics.json"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(metrics))
    if record is not None:
        (folder / "evaluation.json").write_text(json.dumps(record))
    return folder


def _row(table: str, metric: str) -> list[str]:
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].split(" (")[0] == metric:
            return cells[1:]
    raise AssertionError(f"{metric} not in\n{table}")


def test_validation_keys_read_as_protocol_all_and_evaluates_own_key_wins():
    m = canonical_metrics({"t2m/dense/R@1": 40.0, "m2t/fused/MedR": 3, "CAR": 75.0,
                           "note": "text", "flag": True, "bad": float("nan")})
    assert m == {"t2m/All/dense/R@1": 40.0, "m2t/All/fused/MedR": 3.0, "CAR": 75.0}
    both = canonical_metrics({"t2m/All/dense/R@1": 50.0, "t2m/dense/R@1": 40.0})
    assert both == {"t2m/All/dense/R@1": 50.0}
    both = canonical_metrics({"t2m/dense/R@1": 40.0, "t2m/All/dense/R@1": 50.0})
    assert both == {"t2m/All/dense/R@1": 50.0}


def test_seeds_give_mean_std_and_the_difference_from_the_first_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    base = [float(x) for x in rng.uniform(40, 60, 3)]
    full = [float(x) for x in rng.uniform(50, 70, 3)]
    for s, (b, f) in enumerate(zip(base, full)):
        _write(tmp_path / f"base-s{s}", {"t2m/dense/R@1": b, "words/precision@10": 0.25 + s / 10,
                                         "m2t/dense/MedR": 2.0 + s, "CAR/n": 28})
        _write(tmp_path / f"full-s{s}" / "model", {"t2m/dense/R@1": f, "CAR/n": 28},
               name="val_metrics.json")
    code = main(["compare", f"base={tmp_path}/base-s*",
                 f"full={tmp_path}/full-s0,{tmp_path}/full-s1,{tmp_path}/full-s2"])
    out = capsys.readouterr().out
    assert code == 0
    head = out.splitlines()[0]
    assert "base (n=3)" in head and "full (n=3)" in head and "full - base" in head
    r1 = _row(out, "t2m/All/dense/R@1")
    assert r1[0] == f"{np.mean(base):.1f} ± {np.std(base):.1f}"
    assert r1[1] == f"{np.mean(full):.1f} ± {np.std(full):.1f}"
    assert r1[2] == f"{np.mean(full) - np.mean(base):+.1f}"
    assert _row(out, "words/precision@10") == ["0.350 ± 0.082", "-", "-"]  # a share: 3 decimals
    assert _row(out, "m2t/All/dense/MedR")[0] == "3.0 ± 0.8"
    assert "(lower is better)" in next(ln for ln in out.splitlines() if "MedR" in ln)

    # --metrics: patterns in the order given; counts print as integers
    main(["compare", f"{tmp_path}/base-s0", f"{tmp_path}/base-s1", "--metrics", "CAR/*,t2m/*"])
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("| ") and "metric" not in ln]
    assert [ln.split("|")[1].strip() for ln in lines] == ["CAR/n", "t2m/All/dense/R@1"]
    assert _row(out, "CAR/n") == ["28", "28", "+0"]
    assert "single runs" in out


def test_json_document_holds_each_runs_value(tmp_path, capsys):
    for s in range(2):
        _write(tmp_path / f"a{s}", {"t2m/All/dense/R@1": 10.0 + s, "side/text": 80.0})
    _write(tmp_path / "b", {"t2m/All/dense/R@1": 20.0})
    assert main(["compare", f"a={tmp_path}/a0,{tmp_path}/a1", f"b={tmp_path}/b", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["label"] for c in doc["columns"]] == ["a", "b"]
    rows = {r["metric"]: r for r in doc["rows"]}
    r1 = rows["t2m/All/dense/R@1"]
    assert r1["values"][0] == {"mean": 10.5, "std": 0.5, "n": 2, "runs": [10.0, 11.0]}
    assert r1["difference"] == [pytest.approx(9.5)]
    assert rows["side/text"]["values"][1] is None and rows["side/text"]["difference"] == [None]


def test_reports_of_different_data_are_refused_unless_allowed(tmp_path, capsys):
    a = _write(tmp_path / "a", {"CAR": 90.0}, {"data": "DATA/bandai", "split": "val"})
    b = _write(tmp_path / "b", {"CAR": 80.0}, {"data": "DATA/bandai", "split": "test"})
    c = _write(tmp_path / "c", {"CAR": 70.0}, {"data": "DATA/bandai", "split": "val"})
    check_comparable(read_columns([str(a), str(c)]))
    with pytest.raises(ValueError, match=r"not comparable: .*a/metrics.json evaluated "
                       r"DATA/bandai \(split val\), .*b/metrics.json .*split test"):
        check_comparable(read_columns([str(a), str(b)]))
    assert main(["compare", str(a), str(b)]) == 2
    assert "--allow-mixed" in capsys.readouterr().err
    assert main(["compare", str(a), str(b), "--allow-mixed"]) == 0


def test_runs_of_different_gallery_sizes_are_flagged(tmp_path, capsys):
    """A validation run (its own pairs, composed ones included) beside an evaluate report of
    another gallery: R@k rank among different counts, so compare says so (CLI audit 36 U3)."""
    a = _write(tmp_path / "eval", {"n/texts": 140, "n/motions": 70, "t2m/All/dense/R@1": 5.0})
    _write(tmp_path / "run" / "model", {"n/texts": 240, "n/motions": 170,
                                        "t2m/dense/R@1": 2.9}, name="val_metrics.json")
    assert main(["compare", str(a), str(tmp_path / "run")]) == 0
    cap = capsys.readouterr()
    assert "galleries differ (n/texts: 140 in" in cap.err and "240 in" in cap.err
    assert "validation during training scores the run's own" in cap.err
    assert _row(cap.out, "n/texts") == ["140", "240", "+100"] and "WARNING" in cap.out
    assert main(["compare", str(a), str(tmp_path / "run"), "--json"]) == 0
    assert "n/texts" in json.loads(capsys.readouterr().out)["warning"]
    c = _write(tmp_path / "eval2", {"n/texts": 140, "n/motions": 70, "CAR": 1.0})
    assert main(["compare", str(a), str(c)]) == 0
    cap = capsys.readouterr()
    assert "differ" not in cap.err and "WARNING" not in cap.out


def test_two_evaluate_reports_of_different_galleries_are_not_called_training_runs(
        tmp_path, capsys):
    """Two evaluate reports (each with its evaluation.json) of other data, --allow-mixed:
    the warning said what validation during training scores, about runs that had none."""
    rec = {"data": "DATA/bandai", "split": "val"}
    a = _write(tmp_path / "a", {"n/texts": 140, "n/motions": 70, "CAR": 1.0}, rec)
    b = _write(tmp_path / "b", {"n/texts": 60, "n/motions": 30, "CAR": 1.0},
               {**rec, "data": "DATA/demo"})
    assert main(["compare", str(a), str(b), "--allow-mixed"]) == 0
    err = capsys.readouterr().err
    assert "galleries differ (n/texts: 60 in" in err and "during training" not in err
    assert "(evaluate the runs on the same --data and --split)" in err


def test_bad_runs_get_one_line_naming_the_file(tmp_path, capsys):
    (tmp_path / "notes.json").write_text("not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "words.json").write_text('{"a": "b"}')
    (tmp_path / "empty").mkdir()
    (tmp_path / "run" / "model").mkdir(parents=True)  # trained without a val split
    (tmp_path / "run" / "val_metrics.json").write_text("{}")
    cases = {str(tmp_path / "run"): "val_metrics.json: holds no metric values (a training run "
                                    "without a validation split: compare the reports of "
                                    f"`motionlex evaluate --checkpoint {tmp_path}/run/model",
             str(tmp_path / "notes.json"): "notes.json: not a JSON metrics file",
             str(tmp_path / "list.json"): "list.json: a metrics file is a JSON object of "
                                          "numbers, found list",
             str(tmp_path / "words.json"): "words.json: holds no metric values",
             str(tmp_path / "empty"): "empty: no metrics here (looked for metrics.json",
             str(tmp_path / "missing"): "missing: no such file or folder",
             f"x={tmp_path}/nothing*": "nothing*: matches no file or folder"}
    for spec, message in cases.items():
        assert main(["compare", spec]) == 2, spec
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
    good = _write(tmp_path / "good", {"CAR": 1.0})
    assert main(["compare", str(good), "--metrics", "zzz*"]) == 2
    assert "no metric matches zzz*" in capsys.readouterr().err
    assert main(["compare", f"a={good}", f"a={good}"]) == 2
    assert "column label given twice: a" in capsys.readouterr().err


def test_label_parsing_keeps_paths_with_equals_signs_and_brackets(tmp_path, monkeypatch):
    """A relative path or glob with "=" is no label ("lr=0.1", "lr=0.1-s*"), a folder named
    like a glob is a folder ("run[1]"), an error names what was typed (review 36 #8, #18,
    #21)."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "lr=0.1", {"CAR": 1.0})
    for s in (0, 1):
        _write(tmp_path / f"lr=0.1-s{s}", {"CAR": 2.0 + s})
    assert parse_column("lr=0.1") == (None, ["lr=0.1"])
    assert parse_column("lr=0.1-s*") == (None, ["lr=0.1-s0", "lr=0.1-s1"])
    assert parse_column("x=a,b") == ("x", ["a", "b"])
    assert read_columns(["lr=0.1"])[0].label == "lr=0.1"
    _write(tmp_path / "run[1]", {"CAR": 3.0})
    assert parse_column("run[1]") == (None, ["run[1]"])
    with pytest.raises(ValueError, match=r"'=runs/x': empty column label"):
        parse_column("=runs/x")
    with pytest.raises(ValueError, match=r"'base=': an empty path"):
        parse_column("base=")


def test_default_labels_seeds_named_twice_partial_rows_and_formats(tmp_path, capsys):
    """Files of one folder are named by their stems (two ablation runs collided as
    "ablation"); a run named twice in a column is one seed; a metric held by some seeds
    says so; a 0.7 % R@1 stays a percentage; one run has no std (review 36 #2, #5, #9,
    #10, #12, #24)."""
    for s in (0, 1, 2):
        (tmp_path / f"dense-s{s}.json").write_text(json.dumps(
            {"t2m/All/dense/R@1": 0.7 + s, "n/texts": 140, **({"CAR": 50.0} if s == 0 else {})}))
    cols = read_columns([str(tmp_path / "dense-s0.json"), str(tmp_path / "dense-s1.json")])
    assert [c.label for c in cols] == ["dense-s0", "dense-s1"]
    _write(tmp_path / "run" / "model", {"CAR": 1.0}, name="val_metrics.json")
    assert read_columns([str(tmp_path / "run" / "model" / "val_metrics.json")])[0].label == "run"
    col = read_columns([f"a={tmp_path}/dense-s*.json,{tmp_path}/dense-s0.json"])[0]
    assert len(col.runs) == 3  # dense-s0 once
    table = comparison_table([col], select_metrics([col], ["CAR", "t2m/*"]))
    assert _row(table, "CAR") == ["50.0 (1 of 3)"] and "(k of n)" in table
    assert _row(table, "t2m/All/dense/R@1") == ["1.7 ± 0.8"]  # percent, not "1.700"
    cos = read_columns([str(_write(tmp_path / "xs", {"xskel/cosine": 0.8123}))])
    assert _row(comparison_table(cos, ["xskel/cosine"]), "xskel/cosine") == ["0.812"]
    single = read_columns([str(tmp_path / "dense-s0.json")])
    doc = comparison_json(single, ["t2m/All/dense/R@1"])
    assert doc["rows"][0]["values"][0]["std"] is None and doc["rows"][0]["values"][0]["n"] == 1
    assert "(docs/ablation.md; here 140 queries;" in comparison_table(single, ["t2m/All/dense/R@1"])
    unknown = comparison_table(cos, ["xskel/cosine"])  # no n/texts: no guessed count
    assert "about 4 points (docs/ablation.md; the noise grows" in unknown and "here" not in unknown
    assert main(["compare", f"a|b={tmp_path}/dense-s0.json"]) == 0  # no broken table
    assert capsys.readouterr().out.splitlines()[0] == "| metric | a/b |"
    (tmp_path / "huge.json").write_text('{"CAR": 1' + "0" * 400 + ', "side/text": 9.0}')
    assert canonical_metrics(json.loads((tmp_path / "huge.json").read_text())) == {
        "side/text": 9.0}


def test_every_pattern_must_match_and_data_compare_resolved(tmp_path, capsys, monkeypatch):
    """A typo among --metrics patterns is said, not dropped; --all and --metrics exclude
    each other; the same data typed relatively and absolutely is one data (review 36 #3,
    #23)."""
    a = _write(tmp_path / "a", {"CAR": 1.0, "side/text": 2.0},
               {"data": "../data/bandai", "data_path": str(tmp_path / "data" / "bandai"),
                "split": "val"})
    b = _write(tmp_path / "b", {"CAR": 3.0},
               {"data": str(tmp_path / "data" / "bandai"),
                "data_path": str(tmp_path / "data" / "bandai"), "split": "val"})
    check_comparable(read_columns([str(a), str(b)]))
    assert main(["compare", str(a), "--metrics", "CAR", "--metrics", "sied/*"]) == 2
    assert "no metric matches sied/*" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse's own refusal
        main(["compare", str(a), "--metrics", "CAR", "--all"])
    assert exited.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_ablation_runs_of_the_repo_as_seed_columns(repo_root):
    """The ablation ladder's saved runs (docs/ablation/, benchmarks/ablation.py's JSON with
    ``all_metrics``) compare as seed columns: the means are those docs/ablation.md reports."""
    runs = sorted((repo_root / "docs" / "ablation").glob("dense-s*.json"))
    assert len(runs) >= 3, "the ablation runs moved"
    cols = read_columns([f"dense={','.join(map(str, runs))}",
                         f"full={repo_root}/docs/ablation/full-s*.json"])
    keys = select_metrics(cols)
    assert keys[:4] == ["n/texts", "n/motions", "t2m/All/dense/R@1", "t2m/All/dense/R@5"]
    vals = [json.loads(p.read_text())["all_metrics"]["t2m/All/fused/R@1"] for p in runs]
    mean, std, n = cols[0].summary("t2m/All/fused/R@1")
    assert (mean, std, n) == (pytest.approx(np.mean(vals)), pytest.approx(np.std(vals)), len(runs))
    table = comparison_table(cols, keys)
    assert f"{np.mean(vals):.1f} ± {np.std(vals):.1f}" in _row(table, "t2m/All/fused/R@1")[0]
    assert "not checked" in table  # no evaluation.json beside ablation runs
    assert comparison_json(cols, keys)["columns"][1]["records"][0] == {}


def test_default_labels_of_model_folders_and_seeds_named_twice(tmp_path, monkeypatch):
    """A model folder (a training run's OUT/model) is named by its run, so two of them are
    not both "model"; a column's "(+N)" counts its runs once each."""
    monkeypatch.chdir(tmp_path)
    for run in ("a", "b"):
        _write(tmp_path / "runs" / run / "model", {"CAR": 1.0}, name="val_metrics.json")
    cols = read_columns(["runs/a/model", f"{tmp_path}/runs/b/model/"])
    assert [c.label for c in cols] == ["a", "b"]
    _write(tmp_path / "s" / "a-s0", {"CAR": 1.0})
    _write(tmp_path / "s" / "a-s1", {"CAR": 2.0})
    assert [(c.label, len(c.runs)) for c in read_columns(["s/a-s0*,s/a-s0"])] == [("a-s0", 1)]
    assert read_columns(["s/a-s*,s/a-s0"])[0].label == "a-s0 (+1)"


def test_a_record_older_than_data_path_compares_by_the_typed_data(tmp_path, capsys):
    """A record written before data_path (the typed data alone) beside a newer one: the typed
    data are compared, and typed data that differ (one resolved, one relative) but name the
    same folder are taken as the same data with a warning, not refused."""
    old = _write(tmp_path / "old", {"CAR": 1.0}, {"data": "data/h", "split": "test"})
    new = _write(tmp_path / "new", {"CAR": 2.0}, {"data": "data/h", "split": "test",
                                                  "data_path": str(tmp_path / "data" / "h")})
    assert check_comparable(read_columns([str(old), str(new)])) == []
    moved = _write(tmp_path / "moved", {"CAR": 3.0}, {"data": "../data/h", "split": "test",
                                                      "data_path": "/elsewhere/data/h"})
    said = check_comparable(read_columns([f"x={old}", str(moved), f"y={old}"]))  # said once
    assert len(said) == 1 and "old/metrics.json evaluated data/h" in said[0]
    assert "moved/metrics.json evaluated ../data/h" in said[0] and "folder name 'h'" in said[0]
    assert main(["compare", str(old), str(moved)]) == 0
    assert "warning: " in capsys.readouterr().err
    other = _write(tmp_path / "other", {"CAR": 4.0}, {"data": "data/k", "split": "test",
                                                      "data_path": str(tmp_path / "data" / "k")})
    with pytest.raises(ValueError, match=r"not comparable: .*old/metrics.json evaluated data/h"):
        check_comparable(read_columns([str(old), str(other)]))
    with pytest.raises(ValueError, match=r"not comparable: .*new/metrics.json evaluated /"):
        check_comparable(read_columns([str(new), str(moved)]))  # both resolved: they differ


def test_runs_without_a_headline_metric_say_so(tmp_path, capsys):
    """Runs that hold none of the headline metrics (a custom benchmark's names) get one line
    pointing to --all and --metrics, not an empty table."""
    run = _write(tmp_path / "custom", {"mine/score": 0.5, "mine/n": 3})
    with pytest.raises(ValueError, match=r"none of the headline metrics .* --all"):
        select_metrics(read_columns([str(run)]))
    assert main(["compare", str(run)]) == 2
    err = capsys.readouterr().err
    assert "none of the headline metrics" in err and "mine/score" in err and "--metrics" in err
    assert main(["compare", str(run), "--all"]) == 0
    assert _row(capsys.readouterr().out, "mine/score") == ["0.5"]


def test_metrics_takes_one_value_so_runs_may_follow(tmp_path, capsys):
    """--metrics takes one value (patterns comma-separated, the option repeatable): the runs
    after it are runs, not patterns; the former 'PATTERN PATTERN' spelling is refused."""
    a = _write(tmp_path / "a", {"CAR": 1.0, "side/text": 2.0, "words/precision@10": 0.5})
    b = _write(tmp_path / "b", {"CAR": 3.0, "side/text": 4.0})
    assert main(["compare", "--metrics", "side/*", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert _row(out, "side/text") == ["2.0", "4.0", "+2.0"] and "| CAR |" not in out
    for given in (["--metrics", "CAR, words/*"], ["--metrics", "CAR", "--metrics", "words/*"]):
        assert main(["compare", str(a), str(b), *given]) == 0
        rows = [ln.split("|")[1].strip() for ln in capsys.readouterr().out.splitlines()
                if ln.startswith("| ") and "metric" not in ln]
        assert rows == ["CAR", "words/precision@10"]
    with pytest.raises(SystemExit) as exited:  # argparse's own refusal, with the usage
        main(["compare", str(a), "--metrics", "CAR", "side/*"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "unrecognized arguments: side/*" in err
    assert "--metrics PATTERN[,PATTERN...]" in err
    assert main(["compare", str(a), "--metrics", "CAR,,side/*"]) == 2
    assert "an empty pattern" in capsys.readouterr().err
