"""The scan report's summary: counts, the named lists and their limits."""

from __future__ import annotations

from pathlib import Path

from motionlex.core.data.records import ScanReport


def test_summary_names_up_to_the_limit_then_counts_the_rest():
    skipped = [(f"m{i:03d}", "joint count 23 fits no skeleton") for i in range(53)]
    spans = [(f"s{i}", "span 9.0-12.0 s after the clip's end") for i in range(21)]
    report = ScanReport(Path("/data/kit"), "val", kept=1, skipped=skipped, spans=spans,
                        not_upright=[f"u{i}" for i in range(22)],
                        wordless=[("w0", "caption line 2 has no words")])
    lines = report.summary().splitlines()
    assert lines[0] == "/data/kit [val]: 1 usable motion, 53 skipped:"
    assert lines[1] == "  m000: joint count 23 fits no skeleton"
    assert lines[50] == "  m049: joint count 23 fits no skeleton"
    assert lines[51] == "  ... and 3 more"
    assert lines[52] == "21 captions of usable motions left out (a span outside its clip):"
    assert lines[73] == "  ... and 1 more"
    assert lines[74].startswith("1 caption left out (no words;")
    assert lines[75] == "  w0: caption line 2 has no words"
    assert lines[76].startswith("22 usable motions kept but not upright")
    assert lines[76].endswith("u18, u19 ... and 2 more")
    assert len(lines) == 77


def test_a_clean_scan_is_one_line():
    assert ScanReport(Path("bandai"), "all", kept=2).summary() == "bandai [all]: 2 usable motions"
