"""What :mod:`motionlex.core.train.quiet` keeps out of a training run's output."""

from __future__ import annotations

import logging

from motionlex.core.train.quiet import DropTips


def _record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("lightning.pytorch", logging.INFO, __file__, 1, msg, None, None)


def test_lightnings_sigterm_line_is_dropped_the_cli_says_terminated():
    """Audit 32: "INFO: [rank: 0] Received SIGTERM: 15" came before motionlex's own
    "terminated" line."""
    tips = DropTips()
    assert not tips.filter(_record("[rank: 0] Received SIGTERM: 15"))
    assert not tips.filter(_record("Received SIGTERM: 15"))
    assert tips.filter(_record("`Trainer.fit` stopped: `max_epochs=1` reached."))
