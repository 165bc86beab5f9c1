"""The phase checkpoints ``train --resume`` reads, checked before training starts.

A phase's ``OUT/checkpoints/<phase>-last.ckpt`` is Lightning's trainer state, a zip archive
that ``torch.save`` wrote. A partial copy, a full disk or a sync tool can leave it cut short,
empty or replaced; Lightning then fails deep in ``torch.load`` with a traceback whose last
line advises ``weights_only=False`` (unsafe). Here the file is opened once, as Lightning will
open it (``weights_only=True``, so no pickled object is built and no code runs), and a file
that does not open becomes one ``ValueError`` naming the file, the problem and what to do.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Sequence
from pathlib import Path

from motionlex.core.train import run_record


def checkpoint_path(out_dir: str | Path, index: int, name: str) -> Path:
    """``OUT/checkpoints/I-NAME-last.ckpt``: phase ``index``'s resumable checkpoint (the name
    :class:`~.training.TrainingRun` gives Lightning's ``ModelCheckpoint``)."""
    tag = run_record.phase_dir(out_dir, index, name).name
    return Path(out_dir) / "checkpoints" / f"{tag}-last.ckpt"


def read_resume_checkpoint(path: str | Path) -> int:
    """Open a phase checkpoint as ``--resume`` will, and return the step it was saved at.

    Args:
        path: ``OUT/checkpoints/<phase>-last.ckpt``.

    Returns:
        Its ``global_step`` (the steps of the phase already trained).

    Raises:
        ValueError: the file is empty, not a zip archive (cut short, or not a PyTorch file),
            a damaged archive, holds pickled objects a weights-only load refuses (a tampered
            file: refused without running them), or is not a Lightning checkpoint (no
            ``state_dict`` / ``global_step``). The message names the file and says what to do:
            delete it (the phase starts again from its step 0, finished phases are kept) or
            ``--overwrite`` (the whole run again).
        OSError: the file cannot be read.
    """
    import torch  # heavy: imported on use

    path = Path(path)
    problem = None
    if path.stat().st_size == 0:
        problem = "an empty file"
    elif not zipfile.is_zipfile(path):  # a cut end loses the zip's central directory
        problem = ("not a zip archive: cut short by a partial copy or a full disk, or not a "
                   "PyTorch file")
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except pickle.UnpicklingError as e:  # torch's text advises weights_only=False: not said
            lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
            found = [ln.removeprefix("WeightsUnpickler error: ") for ln in lines[1:]
                     if not ln.startswith("Check the documentation")]
            detail = f"; {found[0].rstrip('.')}" if found else ""
            problem = ("pickled objects a weights-only load refuses, not run: a tampered or "
                       f"foreign file{detail}")
        except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as e:
            lines = str(e).strip().splitlines()
            reason = lines[0].split(". This is an internal")[0] if lines else type(e).__name__
            problem = f"a damaged archive ({reason})"
        else:
            if not isinstance(state, dict) or not {"state_dict", "global_step"} <= state.keys():
                problem = "not a Lightning training checkpoint (no state_dict / global_step)"
            else:
                return int(state["global_step"])
    phase = path.name.removesuffix("-last.ckpt")
    raise ValueError(
        f"{path}: not a readable training checkpoint ({problem}); delete it and --resume "
        f"trains phase {phase} again from its step 0 (finished phases are kept), or "
        "--overwrite trains the whole run again")


def check_resume_checkpoints(out_dir: str | Path, names: Sequence[str]) -> dict[str, int]:
    """Open the checkpoint of every unfinished phase of ``names`` that has one.

    Args:
        out_dir: the run's folder.
        names: the config's phase names, in order.

    Returns:
        ``{"I-NAME": step}`` of each checkpoint read (:func:`read_resume_checkpoint`).

    Raises:
        ValueError: a checkpoint that does not open (:func:`read_resume_checkpoint`).
    """
    left = set(run_record.unfinished_phases(out_dir, list(names)))
    steps = {}
    for i, name in enumerate(names):
        ckpt = checkpoint_path(out_dir, i, name)
        tag = ckpt.name.removesuffix("-last.ckpt")
        if tag in left and ckpt.is_file():
            steps[tag] = read_resume_checkpoint(ckpt)
    return steps
