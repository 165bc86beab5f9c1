"""Training with PyTorch Lightning: phases in sequence, validation retrieval, best export.

``motionlex train --config configs/NAME.yaml --data DIR ... --out DIR`` runs the phases of
the config (any subset of LexMLM, CMMM, LexMMM, LexCMLP; Lyu et al., ICLR 2025, "Methods"
and Fig. 2) one after another on one model. Each phase is a ``lightning.Trainer.fit`` with
its own step budget; Lightning handles devices (CUDA when present), bf16 on GPU, DDP on
several GPUs, gradient clipping, the progress bar, CSV logs and resumable ``last.ckpt`` files.

Several processes (``strategy: ddp``, or ``auto`` on several devices; launched by Lightning
itself, ``torchrun`` or SLURM, which Lightning detects): each rank trains on its own share of
every global batch of ``world_size * batch_size`` examples (:mod:`.phase_data`), the
contrastive losses gather features across ranks with gradients (:mod:`.gather`), and
validation, export and the run's files are written by rank 0 alone.

The model chosen on the VALIDATION split (never test) is exported with
``MotionTextModel.save_pretrained`` as a loadable directory: ``OUT/model/`` (config.json,
model.safetensors, patch_stats.json, tokenizer files, train_config.json, val_metrics.json).
Resumable trainer state goes to ``OUT/checkpoints/<phase>-last.ckpt`` (Lightning's own format,
written and read only by this run, loaded with ``weights_only=True``; distribute ``OUT/model``,
never ``.ckpt`` files). Each phase's objective (:mod:`.objectives`) holds that phase's decoders;
they live in the phase's Lightning checkpoint, never in an exported model.

The configuration is :mod:`.train_config`, the dataset folders and training pairs
:mod:`.run_data`, the batches :mod:`.phase_data`, the LightningModule :mod:`.module`, the
choice of the exported model :mod:`.best_model`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities import rank_zero_only
from tqdm.auto import tqdm

from motionlex.core.atomic import atomic_file
from motionlex.core.data.pairs import (
    composed_examples,
    compute_patch_stats,
    load_pair_examples,
    why_no_pairs,
)
from motionlex.core.json_io import write_json
from motionlex.core.model.factory import create_model
from motionlex.core.model.lexical import corpus_vocabulary
from motionlex.core.model.model import MotionTextModel
from motionlex.core.retrieval.chronology import composed_test_examples
from motionlex.core.retrieval.fusion import VAL_METRICS_FILE
from motionlex.core.text.words import dictionary_inflection, dictionary_lemmas
from motionlex.core.train import resume_checkpoint, run_record
from motionlex.core.train.best_model import BestModelExport
from motionlex.core.train.interrupt import CheckpointOnInterrupt
from motionlex.core.train.module import MotionTextModule
from motionlex.core.train.objectives import PAIR_PHASES, TEXT_PHASES, create_objective
from motionlex.core.train.phase_data import phase_dataset
from motionlex.core.train.progress import PhaseProgressBar
from motionlex.core.train.quiet import lightning_quieted
from motionlex.core.train.run_data import (
    check_config_corpora,
    check_data_folders,
    distinct_data_roots,
    init_patch_stats,
    load_train_examples,
    training_captions,
)
from motionlex.core.train.train_config import PhaseConfig, TrainConfig, load_train_config
from motionlex.core.train.trainer_settings import check_trainer_settings, make_trainer
from motionlex.core.train.validate_export import ValidateAndExport

logger = logging.getLogger(__name__)

class TrainingRun(BestModelExport):
    """State of one ``motionlex train`` run: data, statistics, best-model export.

    Args:
        cfg: the training config.
        data_roots: dataset folders (train and val splits are read from each).
        out_dir: output folder; the chosen model lands in ``out_dir/model``.
        init: a model directory to start from instead of ``create_model(cfg.model)``; its
            ``patch_stats.json`` is kept (the input normalisation its weights know).
        progress: progress bars.

    Raises:
        ValueError: no training pairs in any folder, or a ``data_repeat`` key that names
            none of the folders.
        FileNotFoundError: a ``text_corpora`` path that does not exist (checked when a text
            phase or a fresh model's caption vocabulary will read it).
    """

    def __init__(self, cfg: TrainConfig, data_roots: Sequence[str | Path], out_dir: str | Path,
                 init: str | Path | None = None, progress: bool = True):
        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.progress = progress
        data_roots = distinct_data_roots(data_roots)
        check_data_folders(data_roots)
        check_config_corpora(cfg, init)  # read by a text phase or the vocabulary
        L.seed_everything(cfg.seed, workers=True, verbose=False)
        self._unrepeated, self.train_examples = load_train_examples(
            data_roots, cfg.data_repeat, progress=progress)
        if not self.train_examples:
            raise ValueError("no training pairs: " + "; ".join(map(why_no_pairs, data_roots)))
        self.val_examples = load_pair_examples(data_roots, "val", progress=progress)
        if not self.val_examples:
            logger.warning("no validation split in %s: the last model is exported",
                           [str(r) for r in data_roots])
        # minutes of quiet on a large corpus without it: composition, statistics, vocabulary
        with tqdm(total=3, desc="preparing: composed pairs", unit="step", leave=False,
                  disable=not progress) as prep:
            rng = np.random.default_rng([cfg.seed, 7])
            self.composed = (
                composed_examples(self.train_examples, 2000, rng) if cfg.compose_p > 0 else []
            )
            if self.val_examples:
                # a real chronology test: val clips composed in a known order (motion side),
                # the pairs `motionlex evaluate` draws on this split (one seed, the protocol's)
                self.val_examples += composed_test_examples(self.val_examples)
            prep.update()
            prep.set_description_str("preparing: patch statistics")
            self.stats = init_patch_stats(init)
            if self.stats is None:
                self.stats = compute_patch_stats(self._unrepeated, source=", ".join(
                    f"{Path(r).name}/train" for r in data_roots))
            prep.update()
            prep.set_description_str("preparing: model and caption vocabulary")
            # absolute, as the data folders are recorded: the record holds from any folder
            self.init = None if init is None else str(
                Path(init).resolve() if Path(init).exists() else init)
            if init is not None:
                self.model = MotionTextModel.from_pretrained(init)
                name = self.model.config.name
                if name != cfg.model:
                    logger.warning("--init %s is a '%s' model: its architecture replaces the "
                                   "config's model '%s'%s", init, name, cfg.model,
                                   " and its model_overrides" if cfg.model_overrides else "")
                else:  # overrides the --init model already has are not worth a word
                    unused = sorted(
                        k for k, v in cfg.model_overrides.items()
                        if v is not None and getattr(self.model.config, k, None) != v)
                    if unused:
                        logger.warning("--init %s keeps its own architecture: the config's "
                                       "model_overrides %s are not applied", init, unused)
            else:
                self.model = create_model(cfg.model, **cfg.model_overrides)
            if self.model.config.lexical_vocabulary == "corpus":
                self._extend_vocabulary()
            prep.update()
        self.best_score = -math.inf
        self.best_step: dict | None = None  # the best trained step's validation, exported or not
        self.best_metrics: dict[str, float] = {}
        self.trained: list[tuple[str, int, int]] = []  # fit's (phase, first, last step)
        # absolute: the model's train_config.json names its data wherever it is read from
        # (describe's caption bank looks there)
        self.data_roots = [os.path.abspath(r) for r in data_roots]

    def _training_captions(self) -> list[str]:
        return training_captions(self._unrepeated, self.cfg.text_corpora)

    def _extend_vocabulary(self) -> None:
        """The lexical words: this run's caption words (:func:`corpus_vocabulary`), and for a
        fine-tune (``--init``) its model's words too: the words of new data, and words the
        vocabulary rule once missed (the inflection stems, "clap" of "claps"), can then be
        learned; a word the model had stays, whatever this run's captions hold."""
        if self.init is None:  # a new model (every word allowed until set)
            self.model.set_lexical_vocabulary(self._corpus_vocabulary())
            return
        had = self.model.lexical_allowed.cpu().numpy()
        ids = sorted(set(np.flatnonzero(had).tolist()) | set(self._corpus_vocabulary()))
        added = len(ids) - int(had.sum())
        if added:
            self.model.set_lexical_vocabulary(ids)
            new = [self.model.vocabulary[i] for i in ids if not had[i]]
            logger.info("lexical vocabulary: %d caption words join the --init model's %d: %s",
                        added, int(had.sum()), ", ".join(new[:20]) + (
                            " ..." if added > 20 else ""))

    def _corpus_vocabulary(self) -> list[int]:
        ids = corpus_vocabulary(self._training_captions(), self.model.tokenizer,
                                known_inflection=dictionary_inflection if dictionary_lemmas()
                                else None)
        logger.info("lexical vocabulary: %d caption words of %d WordPieces", len(ids),
                    len(self.model.vocabulary))
        return ids

    # -- phases -------------------------------------------------------------------------
    def _dataset(self, phase: PhaseConfig, rank: int = 0,
                 world_size: int = 1) -> torch.utils.data.Dataset:
        captions = self._training_captions() if phase.name in TEXT_PHASES else []
        return phase_dataset(phase.name, self.cfg, self.model.config,
                             examples=self.train_examples, stats=self.stats, captions=captions,
                             batch_size=phase.batch_size, composed=self.composed,
                             rank=rank, world_size=world_size,
                             tokenizer=self.model.text.tokenizer,
                             max_length=self.model.text.max_length)

    def fit(self, max_steps: int | None = None, resume: bool = False) -> Path:
        """Run every phase in order; returns the exported model directory.

        Args:
            max_steps: cap on each phase's steps (quick runs).
            resume: continue from ``OUT/checkpoints/<phase>-last.ckpt`` (model, the phase's
                decoders, optimiser and loop state; read with ``weights_only=True``) and skip
                phases already finished (marked by ``OUT/phases/<phase>/``).

        Returns:
            ``out_dir / "model"``.

        Raises:
            ValueError: a resume with another config than the run was started with
                (:func:`.run_record.check_resume_config`), whose phase checkpoint does not
                open (:mod:`.resume_checkpoint`) or whose optimiser state does not fit, or a
                ``monitor`` that names no validation figure
                (:meth:`.best_model.BestModelExport.consider`).
            KeyboardInterrupt: stopped with Ctrl-C (the phase's checkpoint is written first,
                :mod:`.interrupt`).
        """
        if (not resume and rank_zero_only.rank == 0
                and (self.out_dir / "model" / "config.json").is_file()):
            logger.warning("%s already holds a trained model: this run replaces it%s",
                           self.out_dir / "model", " (--resume continues that run instead)"
                           if run_record.recorded_unfinished(self.out_dir) else "")
            # (a finished run has nothing to resume: --resume would only say so)
        if resume and not any((self.out_dir / d).is_dir() for d in ("checkpoints", "phases")
                              ) and not (self.out_dir / "run_config.json").is_file():
            logger.warning("nothing to resume in %s (no run was started there): training "
                           "from the start", self.out_dir)
            resume = False  # a fresh run: no phase "starts from step 0" warnings
        if resume:  # the interrupted run's choice stands until validation beats it
            run_record.check_resume_config(self.out_dir, self.cfg)
            self._restore_best(self.out_dir / "model" / VAL_METRICS_FILE)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if rank_zero_only.rank == 0 and not resume:  # what a later --resume must match
            run_record.write_run_config(self.out_dir, self.cfg)
        if (self.init is not None and not resume and rank_zero_only.rank == 0
                and self.val_examples and any(p.name in PAIR_PHASES for p in self.cfg.phases)):
            self._consider_init()
        ckpt_dir = self.out_dir / "checkpoints"
        last_phase, ran_any = None, False
        for i, phase in enumerate(self.cfg.phases):
            done_dir = run_record.phase_dir(self.out_dir, i, phase.name)
            tag = done_dir.name
            if resume and (done_dir / "config.json").is_file():
                self.model = MotionTextModel.from_pretrained(done_dir)
                logger.info("phase %s already done, loaded %s", tag, done_dir)
                last_phase = phase
                continue
            steps = phase.max_steps if max_steps is None else min(phase.max_steps, max_steps)
            phase = replace(phase, max_steps=steps, val_every=min(phase.val_every, steps))
            interrupted_here = resume and not ran_any  # the first phase not done: work lost?
            ran_any = True
            ckpt = resume_checkpoint.checkpoint_path(self.out_dir, i, phase.name)  # --resume's
            callbacks = [ModelCheckpoint(dirpath=ckpt.parent, filename=ckpt.stem,
                                         save_last=False, every_n_train_steps=max(1, steps // 4),
                                         save_top_k=1, monitor=None, enable_version_counter=False),
                         CheckpointOnInterrupt(ckpt),
                         # each parameter group's learning rate in the CSV log (lr-AdamW/text,
                         # ...): the warm-up and schedule beside the losses
                         LearningRateMonitor(logging_interval="step")]
            if self.progress:  # before validation: the bar shows the step it validates
                callbacks.append(PhaseProgressBar(tag, steps))
            if phase.name in PAIR_PHASES:
                callbacks.append(ValidateAndExport(self, phase))
            # the batches shard themselves per rank (phase_data; the module gives them the
            # rank of each launched process), not Lightning's sampler
            trainer = make_trainer(self.cfg,
                max_steps=steps, max_epochs=-1, logger=CSVLogger(self.out_dir, name="logs"),
                callbacks=callbacks, enable_progress_bar=self.progress,
                log_every_n_steps=max(1, min(10, steps)),  # a short phase logs too
                enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0,
                use_distributed_sampler=False,
            )
            data = self._dataset(phase, trainer.global_rank, trainer.world_size)
            start = (resume_checkpoint.read_resume_checkpoint(ckpt)
                     if resume and ckpt.is_file() else 0)
            if resume and ckpt.is_file():
                # asked for (--resume): a status line, not a warning
                logger.info("resuming phase %s from its last checkpoint %s", tag, ckpt)
                if self.progress:
                    tqdm.write(f"resuming phase {tag} from its last checkpoint {ckpt}",
                               file=sys.stderr)
            elif interrupted_here:  # interrupted before its first checkpoint (later phases
                every = max(1, steps // 4)  # never started: nothing of theirs was lost)
                logger.warning("phase %s starts from step 0: no checkpoint of it was saved "
                               "(one is written every %s)", tag,
                               "step" if every == 1 else f"{every} steps")
            objective = create_objective(phase.name, self.model, self.cfg.objective,
                                         false_negative_mask=self.cfg.false_negative_mask)
            module = MotionTextModule(self.model, objective, self.cfg, phase, batches=data)
            with warnings.catch_warnings():
                # logging counts steps across epochs: a short epoch still logs every 10 steps
                warnings.filterwarnings("ignore", message=r".*smaller than the logging interval")
                try:
                    trainer.fit(module, ckpt_path=str(ckpt) if resume and ckpt.is_file() else None,
                                weights_only=True)
                except SystemExit:  # Lightning's graceful Ctrl-C shutdown ends in exit(1)
                    if trainer.interrupted:
                        raise KeyboardInterrupt from None
                    raise
                except ValueError as e:  # torch: the saved optimiser state has other groups
                    if resume and "parameter group" in str(e):
                        hint = ("resume it with the config it was started with" if
                                self.cfg.weight_decay_1d else
                                "a run started before 2026-12-06 decayed biases and norms "
                                "too: resume it with weight_decay_1d=true")
                        raise ValueError(
                            f"{ckpt}: its optimiser state does not fit this run's parameter "
                            f"groups ({e}); {hint}") from e
                    raise
                finally:  # Lightning skips the module's teardown when fit raises: the towers
                    module.teardown("fit")  # eager, the text tower trainable again (idempotent)
            if trainer.interrupted:  # a Lightning that returns after the shutdown
                raise KeyboardInterrupt
            self.model = module.model
            if trainer.global_step > start:
                self.trained.append((tag, start + 1, trainer.global_step))
            if trainer.is_global_zero:
                self.export(self.model, done_dir, self.best_metrics, phase.name, steps)
                # its model is in phases/ now (what --resume reads): the Lightning checkpoint,
                # 5-6x the model's size with the optimiser state, serves nothing any more
                ckpt.unlink(missing_ok=True)
                if ckpt_dir.is_dir() and not any(ckpt_dir.iterdir()):
                    ckpt_dir.rmdir()
            last_phase = phase
        final = self.out_dir / "model"
        if resume and not ran_any:
            _say_nothing_to_resume(self.out_dir, len(self.cfg.phases))
        if rank_zero_only.rank != 0:  # validation and export are rank 0's
            return final
        exported = bool(np.isfinite(self.best_score))  # validation chose a model (this run
        # or, restored on resume, the interrupted one)
        validates = bool(self.val_examples) and any(p.name in PAIR_PHASES
                                                    for p in self.cfg.phases)
        has_model = (final / "config.json").is_file()
        # Without validation the last model is the result, replacing an earlier run's (not
        # on a resume that ran nothing). With validation the chosen model stays, even when
        # a resumed run validated nothing better; the last model only fills a gap.
        last_wanted = (not validates and not (resume and has_model and not ran_any)) or (
            validates and not exported and not has_model)
        if last_wanted and last_phase is not None:
            logger.info("exporting the last model (%s, %d steps) to %s%s", last_phase.name,
                        last_phase.max_steps, final, "" if validates else ": no validation")
            self.export(self.model, final, {}, last_phase.name, last_phase.max_steps)
        if exported or last_wanted or not (self.out_dir / VAL_METRICS_FILE).is_file():
            chosen = final / VAL_METRICS_FILE  # the same file: phase, step and figures
            text = (chosen.read_text() if exported and chosen.is_file()
                    else json.dumps(self.best_metrics, indent=1))
            record = json.loads(text) if exported and self.best_step is not None else {}
            target = self.out_dir / VAL_METRICS_FILE
            if record.get("phase") == "init":  # how near this run's steps came to --init
                write_json(target, {**record, "best_step": self.best_step}, sort_keys=True)
            else:  # the chosen model's record as it is
                with atomic_file(target) as tmp:
                    tmp.write_text(text)
        return final


def _say_nothing_to_resume(out_dir: Path, phases: int) -> None:
    logger.warning("nothing to resume in %s: all %d phases had finished; the model there "
                   "stands, and settings given now do not extend a finished phase "
                   "(--overwrite trains again)", out_dir, phases)


def train(config: str | Path | None, data_roots: Sequence[str | Path], out_dir: str | Path, *,
          overrides: Sequence[str] = (), max_steps: int | None = None,
          init: str | Path | None = None, resume: bool = False, progress: bool = True,
          trained: list[tuple[str, int, int]] | None = None) -> Path:
    """Train from a YAML config on dataset folders; returns the exported model directory.

    Args:
        config: YAML training config or a shipped config's name (``"tiny"``,
            ``"cpu-small"``), or None for the :class:`TrainConfig` defaults.
        data_roots: dataset folders (HumanML3D/KIT-ML layout or BVH folders); each one's
            ``train`` split is trained on and its ``val`` split, where present, validates.
        out_dir: output folder: the chosen model in ``out_dir/model``, plus
            ``checkpoints/``, ``phases/``, ``logs/`` and ``val_metrics.json``.
        overrides: ``key=value`` strings applied over the config (dotted keys reach into
            dicts and phases: ``phases.0.max_steps=100``; see :func:`load_train_config`).
        max_steps: cap on every phase's ``max_steps`` and ``val_every`` (quick runs);
            recorded in the saved config.
        init: a model directory to start from instead of ``create_model(cfg.model)``; its
            architecture replaces the config's model, its patch statistics are kept.
        resume: continue an interrupted run in ``out_dir`` (see :meth:`TrainingRun.fit`).
        progress: progress bars; ``False`` also keeps Lightning to its warnings for the
            run (:func:`~.quiet.lightning_quieted`; output ``motionlex train`` set up stays).
        trained: a list that receives ``(phase, first step, last step)`` for each phase this
            call trained steps of (``"3-lexcmlp"``, steps counted within the phase; a resumed
            phase from its checkpoint's step + 1); left empty when nothing was left to train.

    Returns:
        ``out_dir / "model"``.

    A trained model already in ``out_dir/model`` is replaced (with a warning); ``motionlex
    train`` refuses that without ``--overwrite``, which also clears the old run's logs.

    Raises:
        FileNotFoundError: config, data folder or a ``text_corpora`` path missing.
        ValueError: bad config/overrides, a folder that is not a dataset
            (``DatasetError``), no training data, a resume with another config than
            the run was started with (:mod:`.run_record`), or a resume whose phase
            checkpoint is empty, cut short or damaged (:mod:`.resume_checkpoint`; said before
            the data loads).
        DirectoryBusyError: another training run holds ``out_dir``
            (:func:`~.run_record.run_folder_lock`).
        KeyboardInterrupt: training stopped with Ctrl-C.
    """
    cfg = load_train_config(config, overrides)
    if max_steps is not None:  # recorded in train_config.json as what ran
        cfg = replace(cfg, phases=[replace(p, max_steps=min(p.max_steps, max_steps),
                                           val_every=min(p.val_every, max_steps))
                                   for p in cfg.phases])
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # progress=False from a script or notebook: not 26 lines of Lightning (for this run only)
    with (lightning_quieted() if not progress else contextlib.nullcontext(),
          run_record.run_folder_lock(out_dir)):  # a second run into it refuses at once
        return _train(cfg, data_roots, out_dir, init, resume, progress, trained)


def _train(cfg: TrainConfig, data_roots: Sequence[str | Path], out_dir: str | Path,
           init: str | Path | None, resume: bool, progress: bool,
           trained: list[tuple[str, int, int]] | None) -> Path:
    check_trainer_settings(cfg)  # before minutes of loading data
    out = Path(out_dir)
    if resume:
        run_record.check_resume_config(out, cfg)  # before the shortcut and the data loading
        left = run_record.unfinished_phases(out, [p.name for p in cfg.phases])
        if not left and (out / "model" / "config.json").is_file():
            _say_nothing_to_resume(out, len(cfg.phases))
            return out / "model"  # without loading the data (~20 s) for nothing
        # a damaged checkpoint: said now, before the data loads
        resume_checkpoint.check_resume_checkpoints(out, [p.name for p in cfg.phases])
    run = TrainingRun(cfg, data_roots, out_dir, init=init, progress=progress)
    final = run.fit(resume=resume)  # the phases already carry the --max-steps cap
    if trained is not None:
        trained.extend(run.trained)
    return final
