"""Exit codes and streams: no command is a usage error (exit 2, as argparse's convention), a
missing argument shows the command's usage, and stdout holds only what a command reports
(``evaluate > report.md`` gets the Markdown report, not "wrote N files")."""

from __future__ import annotations

import subprocess
import sys

from motionlex.core.cli import main


def test_no_command_prints_the_usage_and_exits_2() -> None:
    r = subprocess.run([sys.executable, "-c", "import sys; from motionlex.core.cli import "
                        "main; sys.exit(main([]))"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("usage: motionlex") and "COMMAND" in r.stderr
    assert r.stderr.rstrip().endswith("motionlex: error: give a COMMAND (motionlex COMMAND "
                                      "--help for its options)")


def test_words_and_search_without_a_query_show_the_usage(capsys) -> None:
    assert main(["words"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: motionlex words") and err.rstrip().endswith(
        "motionlex words: error: give exactly one of: a TEXT, --motion FILE")
    assert main(["search", "--index", "g.mlx"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: motionlex search") and "give exactly one of" in err


def test_evaluate_prints_only_the_report_on_stdout(save_tiny, shared_data, tmp_path,
                                                   capsys) -> None:
    ckpt = save_tiny(tmp_path / "model")
    out = tmp_path / "eval"
    assert main(["evaluate", "--checkpoint", str(ckpt), "--data", str(shared_data / "raw_bvh"),
                 "--out", str(out), "--sentence-model", "none", "--chronology-pairs", "0",
                 "--synthetic-chronology", "0", "--no-zero-shot", "-q"]) == 0
    got = capsys.readouterr()
    assert "| dense | All |" in got.out and "wrote" not in got.out
    n = sum(1 for p in out.iterdir() if p.is_file())
    assert f"wrote {n} files to {out}" in got.err
    # the report names the command that made it (audit 33: docs/eval-*.md did not)
    command = f"- command: `motionlex evaluate --checkpoint {ckpt} --data "
    assert command in got.out and command in (out / "metrics.md").read_text()
    assert "--sentence-model none" in (out / "metrics.md").read_text()
