"""Building a gallery index: encode dataset folders, write the index atomically.

:func:`build_steps` is the build as a generator of progress ``(done, total)`` (motions
read so far): the CLI drains it with a tqdm bar (:func:`build_index`), the explorer's worker
drives it on its thread and cancels it by closing the generator between batches (the index
is not written then). Each encoded batch is kept in a hidden work folder next to the index
(:mod:`.build_work`), so a build that was interrupted or cancelled continues where it
stopped when it is run again. :mod:`.build_rows` encodes each batch and lays out the rows of
the new index; :func:`.index_writer.write_index` writes the on-disk format of :mod:`.index`;
the explorer's cache rules for indexes built from dataset folders are :mod:`.gallery_paths`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motionlex.core.atomic import lock_steps, recover_directory
from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.motion import Motion
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.build_rows import encode_batch, merge_rows
from motionlex.core.retrieval.build_work import (
    LOADER_VERSIONS,
    BuildWork,
    NewItems,
    loader_kind,
    plan_build,
    recorded_loaders,
    work_key,
)
from motionlex.core.retrieval.embed import check_batch_size
from motionlex.core.retrieval.fingerprints import (
    model_fingerprint,
    require_model,
    stats_fingerprint,
)
from motionlex.core.retrieval.fusion import (
    DEFAULT_FUSION_WEIGHT,
    check_fusion_weight,
    checkpoint_fusion_weight,
)
from motionlex.core.retrieval.index import (
    MANIFEST,
    GalleryIndex,
    IndexMismatchError,
    IndexSettings,
)
from motionlex.core.retrieval.index_format import foreign_entries, read_manifest
from motionlex.core.retrieval.index_writer import write_index
from motionlex.core.retrieval.rebuild import data_record, nothing_usable, rebuild_plan
from motionlex.core.steps import run_steps_with_bar
from motionlex.core.wording import count

logger = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_S = 600.0
"""How long a build waits for another build of the same index to finish."""

BuildSteps = Generator[tuple[int, int], None, "BuildReport"]
"""A build: yields ``(motions read, motions to read)``, returns its :class:`BuildReport`."""


class BuildCancelled(Exception):
    """An index build stopped by its progress callback; no index was written (the batches
    encoded so far are kept for the next build)."""


@dataclass
class BuildReport:
    """What :func:`build_index` did.

    Attributes:
        index: the index written (or the unchanged existing one).
        added: motions encoded in this run.
        kept: motions carried over from the existing index.
        replaced: ids re-encoded because their source file or their captions changed.
        skipped: ``(id or file, reason)`` of motions left out.
        seconds: wall time of the encoding.
        resumed: of ``added``, motions restored from an interrupted build's saved work
            (:mod:`.build_work`) instead of being encoded again.
        removed: ids dropped because their source file, inside a folder of this build, no
            longer exists.
        unreadable: ids dropped because their source file changed and no longer loads (its
            reason is in ``skipped``); not counted in ``replaced``.
        not_upright: ids of motions read in this build whose body is not upright along +Y
            (a Z-up export: kept, but their results mean little until it is rotated).
        vanished: ``{folder: rows}`` kept although their files are gone, from folders not
            given to this build (a renamed or deleted data folder; logged as a warning;
            ``prune=True`` drops them into ``removed``).
        rebuilt: a rebuild (``rebuild=True``): every motion encoded again (``added``), none
            kept; ``removed`` the rows whose file is gone.
        skipped_datasets: the dataset of each of the first ``skipped`` entries (those found
            while scanning; the rest, unreadable files, have none), to match them to
            ``removed`` rows by ``(dataset, id)``.
    """

    index: GalleryIndex
    added: int = 0
    kept: int = 0
    replaced: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    resumed: int = 0
    removed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    not_upright: list[str] = field(default_factory=list)
    vanished: dict[str, int] = field(default_factory=dict)
    rebuilt: bool = False
    skipped_datasets: list[str] = field(default_factory=list)


def build_steps(
    model: EncoderModel,
    data: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    patch_stats: PatchStats | None = None,
    split: str = "all",
    settings: IndexSettings | None = None,
    batch_size: int = 32,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_source: str | None = None,
    fusion_weight: float | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
    prune: bool = False,
    rebuild: bool = False,
) -> BuildSteps:
    """Encode dataset folders into an index, or add their new motions to an existing one.

    When ``out`` already holds an index it is loaded (checksums verified) and must have been
    built by ``model`` with the same patch statistics; motions whose source file is already
    indexed with the same SHA-256 and captions are not encoded again, changed ones are
    re-encoded and replace their old rows, rows whose file is gone are dropped, and new
    files are appended (:func:`~.build_work.plan_build`). The result is written atomically
    (:func:`write_index`): a failure leaves the old index untouched and no partial one.
    The whole read-modify-write holds the index's lock (:func:`lock_steps`), so a second
    build of the same index waits for the first (yielding ``(0, 0)``, a cancel point, every
    0.2 s) instead of dropping its motions; a swap interrupted by a killed build is settled
    first (:func:`recover_directory`). Every encoded batch is saved in ``.NAME.work/`` next
    to ``out`` (:class:`~.build_work.BuildWork`); a rerun after an interruption, with the
    same model, statistics, settings, batch size and files, restores those batches and
    encodes only the rest (the index equals an uninterrupted build's).

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        data: dataset folders (HumanML3D/KIT-ML layout or folders of ``.bvh`` files); one
            folder may be given alone.
        out: index directory.
        patch_stats: the model's training statistics; required for a new index, defaults to
            the existing index's.
        split: split of each folder (``"all"``: every motion).
        settings: encoding settings for a new index (an existing index keeps its own).
        batch_size: windows per forward pass.
        checkpoint: checkpoint directory, recorded so ``motionlex search`` can find it.
        checkpoint_source: how it was chosen, for a mismatch message (``model_mismatch``).
        fusion_weight: default fused-search weight to record (None: the one chosen on
            validation in ``checkpoint``'s ``val_metrics.json``, else the existing index's
            (not a rebuilt one's: chosen for the old model), else
            :data:`DEFAULT_FUSION_WEIGHT`), so ``motionlex index`` and the explorer's
            galleries rank with the checkpoint's weight.
        lock_timeout: seconds to wait for another build of ``out`` (< 0: forever).
        prune: also drop the rows whose files are gone from folders not given here (a
            renamed or deleted data folder); without it they are kept and named in a warning
            (``BuildReport.vanished``). Rows of the ``data`` folders whose files are gone
            are dropped either way. With ``rebuild``: drop the rows of recorded folders that
            are missing (else refused).
        rebuild: encode every motion of the existing index ``out`` again with ``model`` (the
            model that built it is not required: that is the point), read from the folders
            it records (:func:`~.rebuild.rebuild_plan`; ``data`` must be empty), with
            ``patch_stats`` (required) and its settings unless ``settings`` is given; the new
            index replaces it only once it is written.

    Yields:
        ``(done, total)`` motions read, before each batch of ``batch_size`` motions and once
        more (``(total, total)``) before writing: each is a cancel point (closing the
        generator there writes no index, and keeps the batches encoded so far for the next
        build); ``(0, 0)`` while waiting for another build.

    Returns:
        A :class:`BuildReport` (the generator's value).

    Raises:
        TypeError: ``model`` not a model, ``patch_stats`` neither a :class:`PatchStats` nor
            None, ``batch_size`` not an int, ``fusion_weight`` not a number.
        FileNotFoundError / DatasetError: a data folder that does not exist or is not a
            dataset.
        ValueError: no data folders (or, with ``rebuild``, some), ``batch_size < 1``,
            ``fusion_weight`` outside [0, 1], no patch statistics for a new index or a
            rebuild, or no usable motion at all.
        FileNotFoundError: ``rebuild`` of an ``out`` that is not an index.
        GalleryIndexError / IndexMismatchError: an existing index that is corrupted, was built
            by another model or with other patch statistics, or with other settings, or that
            holds files an index does not while it needs rewriting (they are named).
        DirectoryBusyError: another build held the index for ``lock_timeout`` seconds.
        FileExistsError: ``out`` is a file (an empty folder is fine: the index is built there).
    """
    if isinstance(data, str | os.PathLike):  # one folder (a string is not a list of them)
        data = [data]
    require_model(model, "forward_motion")
    if rebuild and data:
        raise ValueError("a rebuild reads the folders the index records: give no data folders "
                         "(add other folders with a build after it)")
    if not data and not rebuild:
        raise ValueError("no data folders given: build_index(model, [folder, ...], out) needs "
                         "at least one dataset folder")
    if patch_stats is not None and not isinstance(patch_stats, PatchStats):
        raise TypeError(f"patch_stats must be a PatchStats or None (PatchStats.load(path) "
                        f"reads one), got {type(patch_stats).__name__}")
    check_batch_size(batch_size)
    if fusion_weight is None and checkpoint is not None:
        fusion_weight = checkpoint_fusion_weight(checkpoint)  # None: no val_metrics.json
    if fusion_weight is not None:
        fusion_weight = check_fusion_weight(fusion_weight)
    if Path(out).exists() and not Path(out).is_dir():
        raise FileExistsError(f"cannot build a gallery index at {out}: it is a file, and an "
                              "index is a folder")
    waiting = lock_steps(out, lock_timeout)
    while True:  # another build of ``out``: wait, yielding cancel points
        try:
            next(waiting)
        except StopIteration as got:
            lock = got.value
            break
        yield 0, 0
    try:
        recover_directory(out)
        return (yield from _build_locked(model, data, out, patch_stats, split, settings, batch_size,
                                         checkpoint, checkpoint_source, fusion_weight, prune,
                                         rebuild))
    finally:
        lock.release()


def _build_locked(model: Any, data: Sequence[str | os.PathLike], out: str | os.PathLike,
                  patch_stats: PatchStats | None, split: str, settings: IndexSettings | None,
                  batch_size: int, checkpoint: str | os.PathLike | None,
                  checkpoint_source: str | None, fusion_weight: float | None,
                  prune: bool, rebuild: bool) -> BuildSteps:
    """:func:`build_steps` under the index's lock."""
    target = Path(out)
    t0 = time.perf_counter()
    old: GalleryIndex | None = None
    previous: GalleryIndex | None = None  # the index a rebuild replaces
    if rebuild:
        if not (target / MANIFEST).is_file():
            raise FileNotFoundError(f"nothing to rebuild: {target} is not a gallery index "
                                    f"(build one with --data)")
        previous = GalleryIndex.load(target)  # its rows and settings, not its model
        settings = settings or previous.settings  # its fusion weight was the old model's
        if patch_stats is None:
            raise ValueError("a rebuild needs the patch statistics of the model it encodes "
                             "with (its patch_stats.json)")
    elif target.is_dir() and not any(target.iterdir()):
        logger.info("%s is an empty folder: building a new index there", target)
    elif target.exists():
        old = GalleryIndex.load(target, model, loaded_from=checkpoint, source=checkpoint_source)
        if settings is not None and settings != old.settings:
            raise IndexMismatchError(f"{target} was built with settings {old.settings}; "
                                     f"cannot add motions with {settings}")
        settings = old.settings
        if patch_stats is None:
            patch_stats = old.patch_stats
        elif stats_fingerprint(patch_stats) != old.manifest["patch_stats_sha256"]:
            raise IndexMismatchError(
                f"{target} was built with other patch statistics "
                f"({old.manifest['patch_stats_sha256'][:16]}... vs "
                f"{stats_fingerprint(patch_stats)[:16]}...); build a new index (another --out "
                f"folder, or delete {target} first) instead of adding to it")
    settings = settings or IndexSettings()
    if patch_stats is None:
        raise ValueError("patch statistics are needed to build a new index (the checkpoint's "
                         "patch_stats.json)")
    similarity = str(model.config.lexical_similarity)

    # what is new, changed, gone (a rebuild: every motion of ``previous``, in a new index)
    plan = (rebuild_plan(previous, prune) if previous is not None
            else plan_build(old, data, split, prune))
    todo, drop, report_skipped = plan.todo, plan.drop, plan.skipped
    for folder, rows in list(plan.vanished.items())[:5]:  # a renamed data folder: each twice
        where = (f"whose files are gone from {folder}" if Path(folder).is_dir()
                 else f"of {folder}, which no longer exists")
        logger.warning("%s keeps %s %s: index again with --prune to drop them",
                       target, count(rows, "motion"), where)
    base = old if old is not None else previous  # the index this build replaces
    foreign = foreign_entries(target) if base is not None and (todo or drop or previous) else []
    if foreign:  # the update replaces the whole folder: they would be deleted (an index
        # that is up to date is not rewritten, so it may hold them)
        raise IndexMismatchError(
            f"{target} holds {', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}, "
            f"which an index does not: updating it replaces the folder, so move "
            f"{'that' if len(foreign) == 1 else 'them'} out first")
    taken = set() if old is None else set(old.ids)
    new = NewItems()
    batch: list[tuple[Motion, Any, str, str, str]] = []
    model_hash = model_fingerprint(model) if old is None else old.model_hash
    work = BuildWork(target, work_key(
        model=model_hash, stats=stats_fingerprint(patch_stats), settings=settings.to_dict(),
        batch_size=batch_size, loaders=LOADER_VERSIONS,
        old=None if old is None else old.manifest["files"],
        todo=[(source, sha, Path(ds.root).resolve().name, rec.id,
               [c.text for c in rec.captions]) for ds, rec, source, sha in todo]))
    load_skipped: list[tuple[str, str]] = []  # motions that could not be read
    chunk = [0, 0]  # todo range of the batch being filled, and its first load_skipped entry

    def flush(end: int) -> None:
        if not batch:
            return
        d, lex = encode_batch(model, [(m.joints, m.skeleton) for m, *_ in batch],
                              patch_stats, settings, batch_size)
        first = len(new.ids)
        new.dense.append(d)
        new.lexical.append(lex)
        for m, rec, source, sha, dataset in batch:
            new.add(f"{dataset}/{rec.id}", [c.text for c in rec.captions], source, sha,
                    dataset, dict(rec.meta), m.fps, m.joints, m.skeleton, taken)
        work.save(chunk[0], end, new, first, load_skipped[chunk[1]:])
        chunk[:] = [end, len(load_skipped)]
        batch.clear()

    if old is not None:  # ids of re-encoded rows become free again
        taken -= {old.ids[i] for i in drop}
    resume = work.restore(new, load_skipped, taken) if todo else 0
    resumed, chunk[:] = len(new.ids), [resume, len(load_skipped)]
    for done in range(resume, len(todo)):
        ds, rec, source, sha = todo[done]
        if done == resume or done % batch_size == 0:
            yield done, len(todo)
        try:
            motion = ds.load_motion(rec)
        except (MotionFileError, ValueError, OSError) as e:  # OSError: gone, unreadable
            load_skipped.append((rec.id, str(e)))
            logger.info("skipping %s: %s", rec.path, e)  # the build report lists it
            continue
        batch.append((motion, rec, source, sha, Path(ds.root).resolve().name))
        if len(batch) >= batch_size:
            flush(done + 1)
    flush(len(todo))
    yield len(todo), len(todo)
    seconds = time.perf_counter() - t0
    report_skipped += load_skipped
    # a changed file that no longer loads lost its row: not replaced, removed (said from the
    # rows encoded, restored ones included, so a resumed build says it too)
    encoded = set(new.sources)
    gone = [] if old is None else [old.ids[i] for i in sorted(drop) if old.ids[i] not in
                                   plan.removed and old.sources[i] not in encoded]

    if old is not None and not new.ids and not drop:
        logger.info("%s is up to date (%d motions)", target, len(old))
        work.discard()
        return BuildReport(old, 0, len(old), [], report_skipped, seconds,
                           vanished=plan.vanished, skipped_datasets=plan.skipped_datasets)
    keep = [] if old is None else [i for i in range(len(old)) if i not in drop]
    if not keep and not new.ids:
        work.discard()
        raise ValueError(nothing_usable(data, plan.folders, target, rebuild, report_skipped))

    fw = fusion_weight if fusion_weight is not None else (
        old.fusion_weight if old is not None else DEFAULT_FUSION_WEIGHT)
    model_info = {
        "sha256": model_hash,
        "name": str(model.config.name),
        "embed_dim": int(model.config.embed_dim),
        "lexical_similarity": similarity,
        "checkpoint": str(Path(checkpoint).resolve()) if checkpoint else (
            old.checkpoint if old is not None else None),
    }
    before = None if base is None else base.manifest
    # rows kept from an older loader (another folder's, not rescanned) keep its version, so
    # that a build of that folder re-encodes them
    loaders = recorded_loaders(None if old is None else old.manifest,
                               {loader_kind(old.sources[i]) for i in keep})
    rows = merge_rows(old, keep, new, settings.joints_dtype)
    try:
        write_index(
            target, dense=rows.dense, lexical=rows.lexical, items=rows.items,
            joints=rows.joints, num_frames=rows.num_frames, fps=rows.fps,
            skeleton_ids=rows.skeleton_ids, skeletons=rows.skeletons, patch_stats=patch_stats,
            vocabulary=list(model.vocabulary), model_info=model_info, settings=settings,
            fusion_weight=fw, loaders=loaders,
            data_folders=data_record(old, bool(keep), plan.folders, prune),
        )
    finally:  # the work is done once the new index is in place (even if the swap was
        # interrupted after its commit point); otherwise it is kept for the next build
        if read_manifest(target) != before:
            work.discard()
    rebuilt = previous is not None
    del old, previous, base  # their memory maps: closed before the new index opens
    index = GalleryIndex.load(target, verify=False)
    lost = set(gone)
    replaced = [i for i in plan.replaced if i not in lost]
    read = {id(t[0]): t[0] for t in todo}.values()  # the datasets the motions came from
    lying = sorted({i for ds in read for i in ds.not_upright_ids})
    return BuildReport(index, len(new.ids), len(keep), replaced, report_skipped, seconds,
                       resumed, plan.removed, gone, lying, plan.vanished, rebuilt=rebuilt,
                       skipped_datasets=plan.skipped_datasets)


def build_index(
    model: EncoderModel,
    data: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    progress: bool = True,
    callback: Callable[[int, int], bool] | None = None,
    **kwargs: Any,
) -> BuildReport:
    """:func:`build_steps` drained: the build run to its end (the CLI's and tests' form).

    Args:
        model / data / out / kwargs: as :func:`build_steps`.
        progress: tqdm bar over the motions read.
        callback: ``callback(done, total) -> keep_going`` at each progress step; returning
            False cancels the build with :class:`BuildCancelled` and writes no index.

    Returns:
        A :class:`BuildReport`.

    Raises:
        BuildCancelled: ``callback`` returned False. Others: as :func:`build_steps`.
    """
    def cancel_on_request(done: int, total: int) -> None:
        if callback is not None and not callback(done, total):
            raise BuildCancelled(f"index build of {out} cancelled at {done}/{total}")

    # no bar before the first counted step: a build that fails its checks, or waits for
    # another build with (0, 0), draws none; a resumed build's rate counts what it reads now
    return run_steps_with_bar(build_steps(model, data, out, **kwargs),
                              desc=f"indexing {Path(out).name}", unit="motion",
                              disable=not progress, on_step=cancel_on_request)
