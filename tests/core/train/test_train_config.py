"""TrainConfig: YAML configs, overrides, legacy keys (core/train/train_config.py)."""

from __future__ import annotations

import logging
import re

import pytest

from motionlex.core.train.objective import ObjectiveConfig
from motionlex.core.train.train_config import TrainConfig, load_train_config


def test_config_overrides_and_errors(repo_root, tmp_path):
    cfg = load_train_config(
        repo_root / "configs" / "tiny.yaml",
        ["lr_motion=0.01", "phases.0.max_steps=2", "model_overrides.embed_dim=32"],
    )
    assert cfg.lr_motion == 0.01 and cfg.phases[0].max_steps == 2
    assert cfg.model_overrides["embed_dim"] == 32
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    # values are read as YAML: 1e-5 (a string to YAML 1.1) is a number, true a boolean,
    # [a, b] a list, a word a string
    typed = load_train_config(repo_root / "configs" / "tiny.yaml", [
        "lr_text=1e-5", "side_negatives=true", "text_corpora=[a, b]",
        "model_overrides.lexical_vocabulary=corpus"])
    assert typed.lr_text == 1e-5 and isinstance(typed.lr_text, float)
    assert typed.side_negatives is True and typed.text_corpora == ("a", "b")
    assert typed.model_overrides["lexical_vocabulary"] == "corpus"
    for name in ("cpu-small", "paper-base", "dense-baseline-cpu"):
        load_train_config(repo_root / "configs" / f"{name}.yaml")
    with pytest.raises(ValueError, match="unknown training config keys"):
        load_train_config(None, ["learning_rate=1"])
    with pytest.raises(ValueError, match="'lr_motoin' \\(did you mean 'lr_motion'\\?\\)"):
        load_train_config(None, ["lr_motoin=1e-3"])
    with pytest.raises(ValueError, match="unknown phase"):
        TrainConfig.from_dict({"phases": ["pretrain"]})
    with pytest.raises(ValueError, match="key=value"):
        load_train_config(None, ["oops"])
    with pytest.raises(FileNotFoundError, match="training config not found"):
        load_train_config(tmp_path / "none.yaml")
    with pytest.raises(IsADirectoryError, match=re.escape(  # probe T14: "not found"
            f"{repo_root / 'configs'} is a folder, not a training config: give a YAML file")):
        load_train_config(repo_root / "configs")
    # a bad key given on the command line is named as the override, not as the file's
    with pytest.raises(ValueError, match="^command-line override bogus_key=3: unknown"):
        load_train_config(repo_root / "configs" / "tiny.yaml", ["bogus_key=3"])
    (tmp_path / "bad.yaml").write_text("bogus_key: 3\n")
    with pytest.raises(ValueError, match=r"^training config .*bad.yaml: unknown"):
        load_train_config(tmp_path / "bad.yaml", ["lr_motion=0.01"])


def test_every_shipped_config_loads_and_round_trips(repo_root):
    for path in sorted((repo_root / "configs").glob("*.yaml")):
        cfg = load_train_config(path)
        assert TrainConfig.from_dict(cfg.to_dict()) == cfg, path.name


def test_loss_settings_leave_the_model_overrides(repo_root, caplog):
    cfg = load_train_config(repo_root / "configs" / "cpu-small.yaml",
                            ["objective.flops_max_weight=0.01"])
    assert cfg.objective.flops_max_weight == 0.01 and cfg.objective.lexical_align_weight == 1.0
    assert "flops_max_weight" not in cfg.model_overrides
    # an older train_config.json: loss settings in model_overrides, export_phase_heads
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.train_config"):
        old = TrainConfig.from_dict({
            "model_overrides": {"flops_max_weight": 0.003, "motion_lexical_tokens": "rows"},
            "export_phase_heads": False,
        })
    assert old.model_overrides == {"motion_lexical_tokens": "rows"}
    assert old.objective == ObjectiveConfig(flops_max_weight=0.003)
    assert "moved from model_overrides to objective" in caplog.text
    with pytest.raises(ValueError, match="unknown objective keys"):
        load_train_config(None, ["objective.flops=1"])


@pytest.mark.parametrize("yaml_text,expected", [
    ("lr_text: fast\n", "lr_text must be float, got str 'fast'"),
    ("seed: 1.5\n", "seed must be int, got float 1.5"),
    ("false_negative_mask: 'no'\n", "false_negative_mask must be bool, got str"),
    ("model_overrides: [1, 2]\n", "model_overrides must be mapping, got list"),
    ("text_corpora: 5\n", "text_corpora must be list, got int 5"),
    ("text_corpora: [a, 3]\n", "text_corpora must be list, got list"),
    ("objective: {cmmm_mask_ratio: half}\n", "cmmm_mask_ratio must be float, got str"),
    ("objective: 3\n", "objective must be mapping, got int 3"),
    ("model_overrides: {embed_dim: wide}\n", "embed_dim must be int, got str 'wide'"),
    ("model_overrides: {width: 3}\n", "unknown model_overrides keys: 'width'"),
    ("phases: lexcmlp\n", "phases must be a list"),
    ("phases: []\n", "phases is empty: a run needs at least one phase"),  # 'model written'
    ("phases: [3]\n", "phases[0] must be a phase name or a mapping, got int 3"),
    ("phases: [{name: cmmm, steps: 3}]\n", "unknown phases[0] keys: 'steps'"),
    ("phases: [{name: cmmm, max_steps: many}]\n", "phases[0]: wrong value types"),
    ("phases: [lexmlm, {name: cmmm, batch_size: 0}]\n", "phases[1]: batch_size must be >= 1"),
    ("- a\n- b\n", "a training config must be a YAML mapping"),
    ("data_repeat: {demo: 0}\n", "data_repeat maps dataset folder names to integers >= 1"),
    ("data_repeat: {demo: 1.5}\n", "data_repeat maps dataset folder names to integers >= 1"),
    ("data_repeat: [demo]\n", "data_repeat must be mapping, got list"),
    ("", "is empty; give at least 'model:' and 'phases:'"),  # trained on defaults, silently
    ("# only a comment\n", "is empty"),
    ("lr_motion: -1.0e-4\n", "lr_motion=-0.0001 (must be > 0)"),
    ("mirror_p: 2\n", "mirror_p=2 (a probability: must be in [0, 1])"),
    ("seed: -5\n", "seed=-5 (must be in [0, 2^32))"),
    ("warmup_steps: -1\nnum_nodes: 0\n", "warmup_steps=-1 (must be >= 0); num_nodes=0"),
])
def test_malformed_yaml_configs_are_value_errors_naming_the_file(
        tmp_path, yaml_text: str, expected: str) -> None:
    """Issue 15 defects 6/7: wrong types ended in TypeErrors deep inside."""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=re.escape(expected)) as err:
        load_train_config(path)
    assert str(path) in str(err.value)


def test_yaml_syntax_error_names_the_file_line_and_column(tmp_path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("model: tiny\nphases: [lexmlm, cmmm\n  x: : y\n")
    with pytest.raises(ValueError, match=r"broken.yaml: invalid YAML at line \d+, column \d+"
                       ) as err:
        load_train_config(path)
    assert "<unicode string>" not in str(err.value)
    path.write_bytes(b"model: \xff\xfe\n")
    with pytest.raises(ValueError, match="broken.yaml: not UTF-8"):
        load_train_config(path)


@pytest.mark.parametrize("override,expected", [
    # probe T02: "list index out of range"
    ("phases.7.max_steps=3", "does not fit the config: no entry 7 in phases"),
    ("phases.99.max_steps=1", "no entry 99 in phases (phases has 4 entries, phases.0 to "
                              "phases.3)"),
    ("phases.x.max_steps=3", "'x' is not an entry of the list phases (phases has 4 entries"),
    ("phases.-1.max_steps=3", "no entry -1 in phases"),
    ("phases.4=cmmm", "no entry 4 in phases"),
    ("lr_text.value=3", "does not fit the config"),
    ("lr_text=[1,", "invalid YAML value"),
])
def test_bad_overrides_are_value_errors(repo_root, override: str, expected: str) -> None:
    with pytest.raises(ValueError,
                       match=re.escape(f"override {override!r}") + ".*" + re.escape(expected)):
        load_train_config(repo_root / "configs" / "tiny.yaml", ["lr_text=0.1", override])


def test_from_dict_raises_only_value_errors_on_random_values(repo_root) -> None:
    """Fuzz (as benchmarks/fuzz_loaders.py, smaller): a key of the config, of a phase or of
    the objective set to any YAML value is loaded or refused with a ValueError."""
    hypothesis = pytest.importorskip("hypothesis")
    import yaml
    from hypothesis import strategies as st

    base = yaml.safe_load((repo_root / "configs" / "tiny.yaml").read_text())
    values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=False), st.text(max_size=8)),
        lambda kids: st.one_of(st.lists(kids, max_size=3),
                               st.dictionaries(st.text(max_size=6), kids, max_size=3)),
        max_leaves=6)
    keys = st.sampled_from(sorted(base) + ["phases.0.max_steps", "phases.1.name",
                                           "objective.cmmm_mask_ratio", "model_overrides.x"])

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(keys, values)
    def check(key, value) -> None:
        d = yaml.safe_load(yaml.safe_dump(base))
        *path, last = key.split(".")
        target = d
        for p in path:
            target = target[int(p)] if isinstance(target, list) else target.setdefault(p, {})
        target[last] = value
        try:
            TrainConfig.from_dict(d)
        except ValueError:
            pass

    check()


def test_full_cpu_recipe_is_the_ladder_full_rung_with_measured_pre_phase_changes(repo_root):
    """configs/full-cpu.yaml (the full method, README) is the ablation ladder's full rung
    (configs/ablation-6-full.yaml) with only LexMMM's step count and learning-rate scale, the
    LexCMLP budget and the side pair weight changed, so the `full-300` rows of
    docs/ablation.md measure this recipe."""
    full = load_train_config(repo_root / "configs" / "full-cpu.yaml", [])
    rung = load_train_config(repo_root / "configs" / "ablation-6-full.yaml", [
        "phases=[{name: mlmhead, max_steps: 60, batch_size: 64},"
        " {name: lexmlm, max_steps: 30, batch_size: 32},"
        " {name: cmmm, max_steps: 30, batch_size: 32},"
        " {name: lexmmm, max_steps: 5, batch_size: 32, lr_scale: 0.1},"
        " {name: lexcmlp, max_steps: 300, batch_size: 32, val_every: 50}]",
        "objective.side_pair_weight=0.5"])
    assert full == rung
    assert full.objective.side_pair_weight == 0.5
    assert [p.name for p in full.phases] == ["mlmhead", "lexmlm", "cmmm", "lexmmm", "lexcmlp"]


def test_an_exported_config_loads_and_idle_settings_warn(repo_root, caplog) -> None:
    """The shipped model's train_config.json (with its record of the --data folders) loads;
    settings that can do nothing are named."""
    import json
    import logging

    exported = json.loads((repo_root / "resources" / "default_model" / "train_config.json")
                          .read_text())
    assert "data" in exported
    cfg = TrainConfig.from_dict(exported)
    assert cfg.side_negatives and cfg.order_negatives  # stages 4-5: order negatives, pair terms
    assert cfg.objective.order_pair_weight == cfg.objective.car_pair_weight == 0.5
    assert cfg.idle_settings() == []
    with caplog.at_level(logging.WARNING, logger="motionlex.core.train.train_config"):
        idle = TrainConfig.from_dict({"order_negatives": True, "compose_p": 0.0,
                                      "objective": {"order_pair_weight": 0.5}})
    assert len(idle.idle_settings()) == 1 and "compose_p > 0" in caplog.text
    with caplog.at_level(logging.WARNING, logger="motionlex.core.train.train_config"):
        TrainConfig.from_dict({"objective": {"order_pair_weight": 0.5}})
    assert "only order_negatives adds" in caplog.text


def test_a_shipped_config_loads_by_name_from_python(repo_root, tmp_path, monkeypatch) -> None:
    """``train("tiny", ...)`` as ``motionlex train --config tiny``: the name of a shipped
    config loads it from any folder; a mistyped name lists the shipped ones and the closest."""
    monkeypatch.chdir(tmp_path)  # no configs/ here
    by_name = load_train_config("tiny", ["seed=3"])
    assert by_name == load_train_config(repo_root / "configs" / "tiny.yaml", ["seed=3"])
    assert load_train_config("configs/cpu-small.yaml") == load_train_config(
        repo_root / "configs" / "cpu-small.yaml")
    with pytest.raises(FileNotFoundError, match=r"tyni .*tiny.*did you mean tiny\?"):
        load_train_config("tyni")


@pytest.mark.parametrize("monitor", ["t2m/dense/MedR", "val/loss"])
def test_a_lower_is_better_monitor_is_refused(repo_root, monitor: str) -> None:
    """The exported model is the step with the highest monitored figure: a MedR would
    export the worst step, so it is refused, naming the key."""
    with pytest.raises(ValueError, match=f"monitor={monitor} \\(lower is better"):
        load_train_config(repo_root / "configs" / "tiny.yaml", [f"monitor={monitor}"])
    assert load_train_config(repo_root / "configs" / "tiny.yaml",
                             ["monitor=t2m/dense/R@1"]).monitor == "t2m/dense/R@1"
