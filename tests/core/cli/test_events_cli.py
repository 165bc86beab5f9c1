"""``motionlex events`` end to end, in process (core/cli/data.py ``cmd_events``): the printed
events are the caption's clauses in the order they happen, the shuffled caption is another
order of the same events, and ``--seed`` fixes which one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from motionlex.core.cli import main

SHUFFLED = re.compile(r"^shuffled: (?P<caption>.+)  \(seed (?P<seed>\d+)\)$")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _run(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    """Run ``motionlex events ...`` and read its report: the raw text, the caption, the
    numbered events, the joined caption and the shuffled caption (None when there is none)."""
    capsys.readouterr()
    assert main(["events", *argv]) == 0
    out = capsys.readouterr().out
    lines = out.rstrip("\n").split("\n")
    assert lines[0].startswith("caption:  ")
    count = int(re.fullmatch(r"events \((\d+)\):", lines[1]).group(1))
    events = []
    for i, line in enumerate(lines[2:2 + count]):
        prefix = f"  {i + 1}. "
        assert line.startswith(prefix), line
        events.append(line[len(prefix):])
    joined, shuffled = lines[2 + count:]
    assert joined.startswith("joined:   ")
    m = SHUFFLED.match(shuffled)
    return {"out": out, "caption": lines[0][len("caption:  "):], "events": events,
            "joined": joined[len("joined:   "):], "shuffled": m and m["caption"],
            "seed": m and int(m["seed"]), "shuffled_line": shuffled}


@pytest.fixture(scope="module")
def kitml_caption(shared_data: Path) -> str:
    """A real KIT-ML caption of three events joined by ", then" and "and after that"."""
    ann = json.loads((shared_data / "kitml_text" / "annotations.json").read_text("utf-8"))
    found = [a["text"] for a in ann["01907"]["annotations"]
             if a["text"].startswith("A person walks a few steps forward, then")]
    assert found == ["A person walks a few steps forward, then walks a step back and after "
                     "that he continues walking forward."]
    return found[0]


# the caption's three clauses, read by hand: cut at ", then" and "and after that", the shared
# subject restored, "he" named as the person it stands for, the final period dropped
KITML_EVENTS = ["A person walks a few steps forward", "A person walks a step back",
                "A person continues walking forward"]


def test_events_of_a_real_caption_are_its_clauses(capsys, kitml_caption):
    report = _run(capsys, kitml_caption)
    assert report["caption"] == kitml_caption
    assert report["events"] == KITML_EVENTS
    assert report["joined"] == ("A person walks a few steps forward, then a person walks a "
                                "step back, then a person continues walking forward")


def test_shuffled_caption_is_another_order_of_the_same_events(capsys, kitml_caption):
    for seed in range(4):
        report = _run(capsys, kitml_caption, "--seed", str(seed))
        assert report["seed"] == seed
        shuffled = [_lower_first(e) for e in report["shuffled"].split(", then ")]
        original = [_lower_first(e) for e in KITML_EVENTS]
        assert sorted(shuffled) == sorted(original)  # the same events, each once
        assert shuffled != original  # in a wrong order


def test_the_same_seed_prints_the_same_report(capsys, kitml_caption):
    first = _run(capsys, kitml_caption, "--seed", "5")["out"]
    assert _run(capsys, kitml_caption, "--seed", "5")["out"] == first
    assert _run(capsys, kitml_caption)["out"] == _run(capsys, kitml_caption, "--seed", "0")["out"]


def test_other_seeds_give_other_orders(capsys, kitml_caption):
    """Three events have five wrong orders; ten seeds do not all draw the same one."""
    orders = {_run(capsys, kitml_caption, "--seed", str(s))["shuffled"] for s in range(10)}
    assert len(orders) >= 2


def test_two_events_have_one_wrong_order_whatever_the_seed(capsys):
    for seed in ("0", "1", "7"):
        report = _run(capsys, "a person walks forward, then sits down", "--seed", seed)
        assert report["events"] == ["a person walks forward", "a person sits down"]
        assert report["shuffled"] == "a person sits down, then a person walks forward"


def test_events_are_printed_in_the_order_they_happen(capsys):
    """"Y after X": X is printed first; the gerund takes the main verb's form."""
    report = _run(capsys, "a person sits down after jumping twice")
    assert report["events"] == ["a person jumps twice", "a person sits down"]
    assert report["joined"] == "a person jumps twice, then a person sits down"
    assert report["shuffled"] == "a person sits down, then a person jumps twice"


def test_one_event_has_no_shuffled_order(capsys):
    report = _run(capsys, "a person waves both hands.", "--seed", "3")
    assert report["events"] == ["a person waves both hands"]
    assert report["joined"] == "a person waves both hands"
    assert report["shuffled"] is None
    assert report["shuffled_line"] == "shuffled: (none: a single event has no wrong order)"


def test_events_runs_without_importing_torch_and_torch_imports_after() -> None:
    """spaCy's thinc imports torch when it can (2 of the command's 5 s on 2 cores): the
    text-only command hides it while spaCy loads, and gives it back afterwards."""
    import subprocess
    import sys

    code = ("import sys; from motionlex.core.cli import main; "
            "rc = main(['events', 'a person jumps twice, then sits down']); "
            "print('torch loaded:', 'torch' in sys.modules); import torch; "
            "print('torch after:', torch.ones(2).sum().item()); sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "  2. a person sits down" in out.stdout
    assert "torch loaded: False" in out.stdout and "torch after: 2.0" in out.stdout
