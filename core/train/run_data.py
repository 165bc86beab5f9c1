"""The data of a training run: its dataset folders checked, their training pairs (each
folder repeated ``data_repeat`` times), the patch statistics an ``--init`` model keeps, and
the captions text phases and a corpus vocabulary read.

:class:`~.training.TrainingRun` calls these before it builds a model: every folder and
``text_corpora`` path is checked before minutes of loading, and each refusal names the
folder or the setting.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from motionlex.core.data.layout import detect_layout
from motionlex.core.data.pairs import (
    PairExample,
    load_pair_examples,
    split_ids_hint,
    why_no_pairs,
)
from motionlex.core.data.text_files import read_caption_corpus, warn_shared_split_ids
from motionlex.core.model.folder import STATS_FILE
from motionlex.core.patches import PatchStats

if TYPE_CHECKING:
    from motionlex.core.train.train_config import TrainConfig

logger = logging.getLogger(__name__)


def distinct_data_roots(data_roots: Sequence[str | Path]) -> list[str | Path]:
    """The dataset folders with each real folder once (the first path that names it kept),
    with a warning when one was given twice: its pairs would count twice, in training and
    in validation (the config's ``data_repeat`` oversamples a folder)."""
    real = [os.path.realpath(r) for r in data_roots]
    twice = sorted({r for r in real if real.count(r) > 1})
    if not twice:
        return list(data_roots)
    logger.warning("a dataset folder given twice is read once (%s); the config's "
                   "data_repeat oversamples a folder", ", ".join(twice))
    return list({r: root for r, root in zip(real, data_roots)}.values())


def check_data_folders(data_roots: Sequence[str | Path]) -> None:
    """Refuse a folder that is not a dataset or has neither split training reads (it would
    be left out silently); warn where its train and val splits share motions.

    A missing folder passes: the loader names it.

    Raises:
        DatasetError: a folder that is no dataset layout at all (:func:`detect_layout`).
        ValueError: a folder with no ``train.txt`` and no ``val.txt``.
    """
    for root in data_roots:
        if not Path(root).is_dir():
            continue  # the loader names a missing folder
        detect_layout(root)  # not a dataset at all: say that first
        if not any((Path(root) / f"{sp}.txt").is_file() for sp in ("train", "val")):
            raise ValueError(
                f"{root} has no train.txt or val.txt: training reads those splits; add "
                f"them, one motion id a line ({split_ids_hint(root)}), or leave the folder out")
        warn_shared_split_ids(root)  # validation on motions it trains on: said


def check_text_corpora(text_corpora: Sequence[str | Path]) -> None:
    """Refuse ``text_corpora`` paths that do not exist, before minutes of loading.

    Raises:
        FileNotFoundError: naming the missing paths and the folder they were read from.
    """
    missing = [c for c in text_corpora if not Path(c).exists()]
    if missing:
        raise FileNotFoundError(
            f"text_corpora {missing} of the training config not found from the current "
            f"folder {Path.cwd()} (relative paths in a config are read from where "
            f"motionlex runs: the shipped configs from the repository root; or override "
            f"text_corpora=[PATH])")


def check_config_corpora(cfg: TrainConfig, init: str | Path | None) -> None:
    """:func:`check_text_corpora` where the run reads them: a text phase (LexMLM, the MLM
    head) or a fresh model's caption vocabulary (no ``init``). The CLI calls it before
    Lightning loads (it came after 12-18 s), the run again.

    Raises:
        FileNotFoundError: as :func:`check_text_corpora`.
    """
    from motionlex.core.train.objectives import TEXT_PHASES

    if init is None or any(p.name in TEXT_PHASES for p in cfg.phases):
        check_text_corpora(cfg.text_corpora)


def _folder_names(root: str | Path) -> list[str]:
    """The name the --data path gives, then the folder's own (a link resolved)."""
    return list(dict.fromkeys(n for n in (Path(root).name, Path(root).resolve().name) if n))


def load_train_examples(data_roots: Sequence[str | Path], data_repeat: Mapping[str, int],
                        progress: bool = True) -> tuple[list[PairExample], list[PairExample]]:
    """Training pairs of every folder, each repeated ``data_repeat[name]`` times.

    Args:
        data_roots: dataset folders, in order.
        data_repeat: folder name (as the ``--data`` path gives it, or the folder's own
            behind a link) -> times its pairs appear per epoch; others appear once.
        progress: progress bars while loading.

    Returns:
        ``(unrepeated, examples)``: every folder's pairs once (what patch statistics and
        the caption vocabulary are computed on), and the pairs with the repeats.

    Raises:
        ValueError: a ``data_repeat`` key that names none of the folders.
    """
    names = [n for r in data_roots for n in _folder_names(r)]
    unknown = sorted(set(data_repeat) - set(names))
    if unknown:
        raise ValueError(f"data_repeat names {unknown}, which are not among the --data "
                         f"folders {names}: add those folders with --data (the shipped "
                         f"stage configs repeat 'demo-data', made by 'motionlex demo-data "
                         f"DIR'), or override 'data_repeat={{}}'")
    unrepeated: list[PairExample] = []
    examples: list[PairExample] = []
    for root in data_roots:
        loaded = load_pair_examples([root], "train", progress=progress)
        if not loaded and len(data_roots) > 1:  # alone, "no training pairs" says it
            logger.warning("%s adds no training pairs, so it takes no part in training "
                           "(%s)", root, why_no_pairs(root))
        k = next((data_repeat[n] for n in _folder_names(root) if n in data_repeat), 1)
        if k > 1:
            logger.info("%s: %d training pairs, repeated %d times per epoch", root,
                        len(loaded), k)
        unrepeated += loaded
        examples += loaded * k
    return unrepeated, examples


def init_patch_stats(init: str | Path | None) -> PatchStats | None:
    """The ``--init`` model's patch statistics (fine-tuning keeps the normalisation its
    weights were trained on: the demo split's statistics under the default model's
    weights cost 30 points of R@1 before any step), or None to compute them."""
    if init is None:
        return None
    path = Path(init) / STATS_FILE
    if not path.is_file():
        logger.warning("--init %s has no patch_stats.json: the statistics are computed "
                       "on this run's training data", init)
        return None
    stats = PatchStats.load(path)
    logger.info("patch statistics of --init %s kept (%s, %d frames)", init,
                stats.source or "source not recorded", stats.count)
    return stats


def training_captions(examples: Sequence[PairExample],
                      text_corpora: Sequence[str | Path]) -> list[str]:
    """The captions of the training pairs (unrepeated), then the train split of each text
    corpus, with a warning for a corpus whose train split holds none."""
    caps = [e.caption for e in examples]
    for c in text_corpora:
        got = read_caption_corpus(c, "train")
        if not got:
            logger.warning("text corpus %s: its train split holds no caption; it adds "
                           "nothing", c)
        caps += got
    return caps
