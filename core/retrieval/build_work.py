"""The work of an index build: what it has to encode (:func:`plan_build`), and that work kept
while unfinished so that a rerun continues where it stopped.

A rebuild of an existing index encodes the records that are new or changed (another file
SHA-256 or other captions, or a file that the index records as read by another version of
its loader, :func:`stale_loaders`), drops the rows whose file was deleted from a
folder of this build (by the row's dataset name, or its path below the folder: links resolve
elsewhere), reads a file that two ``--data`` folders reach (``A`` and ``A/sub``) once, and
keeps the rest, other folders' rows included. Rows of other folders whose files are gone (a
data folder renamed or deleted: indexing it again under its new name doubled every motion,
silently) are named by their vanished folder and kept, or dropped with ``prune``.

:func:`.build.build_steps` encodes motions in batches; each encoded batch is saved at once
as a chunk file in a hidden work folder next to the index, ``.NAME.work/`` (each chunk
written atomically, :func:`~motionlex.core.atomic.atomic_file`). When a build is
interrupted (Ctrl-C, a crash, the explorer's cancel), the next build of the same index with
the same model, patch statistics, settings, batch size and files (the work's key) restores
the chunks and encodes only the rest; the index it writes equals an uninterrupted build's,
since every batch holds the same motions. Another key discards the old work. The folder is
deleted once the index is written.

Work folder: ``work.json`` (``{"key": HEX}``) and ``chunk-00000.npz``, ... each holding one
batch: ``dense (B, D) float32``, the lexical CSR parts, the motions' joints concatenated
(``(R, 3)`` float32, metres) and ``info``, a JSON string: the todo range it covers
(``start``, ``end``), per motion its id base, captions, source, SHA-256, dataset, meta, fps,
joint array shape and skeleton, and the motions of the range that could not be read.
Nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from motionlex.core.atomic import atomic_file
from motionlex.core.checksums import SpecialFileError
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.layout import detect_layout
from motionlex.core.motion.bvh import LOADER_VERSION as BVH_LOADER_VERSION
from motionlex.core.motion.file_checks import not_a_motion_file
from motionlex.core.motion.files import JOINTS_LOADER_VERSION
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.retrieval.fingerprints import file_sha256

logger = logging.getLogger(__name__)

WORK_VERSION = 1


@dataclass
class BuildPlan:
    """What a build has to do (module doc).

    Attributes:
        todo: ``(dataset, record, source, sha256)`` of each motion to encode, in order.
        drop: rows of the existing index that leave it (re-encoded or removed).
        replaced: ids of the rows encoded again (changed file or captions).
        removed: ids of the rows whose file is gone.
        skipped: ``(id, reason)`` of records left out while scanning.
        vanished: ``{folder: row count}`` of the rows kept although their files are gone,
            from folders not given to this build (:func:`vanished_folder`; ``prune`` drops
            them into ``removed``).
        skipped_datasets: the dataset (folder name) of each ``skipped`` entry, so that a
            skip is matched to a row by ``(dataset, id)``, not by its bare id.
        folders: ``(folder resolved, split read)`` of each folder scanned, in order (what
            the manifest records, :data:`~.rebuild.DATA_FOLDERS_KEY`).
        unreadable: the files found but not hashed (gone or unreadable since the scan).
    """

    todo: list[tuple[Any, Any, str, str]] = field(default_factory=list)
    drop: set[int] = field(default_factory=set)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    vanished: dict[str, int] = field(default_factory=dict)
    skipped_datasets: list[str] = field(default_factory=list)
    folders: list[tuple[str, str]] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)


LOADERS_KEY = "loaders"
"""Manifest key of the loader versions an index's rows were read with
(:data:`LOADER_VERSIONS`)."""

LOADER_VERSIONS: dict[str, int] = {"bvh": BVH_LOADER_VERSION, "npy": JOINTS_LOADER_VERSION}
"""The current file loaders' versions, by kind of file (:func:`loader_kind`):
:data:`motionlex.core.motion.bvh.LOADER_VERSION` and
:data:`motionlex.core.motion.files.JOINTS_LOADER_VERSION`."""


def loader_kind(source: str) -> str:
    """The loader that reads a row's source file: ``"bvh"`` or ``"npy"``."""
    return "bvh" if source.lower().endswith(".bvh") else "npy"


def _loaders_of(manifest: dict) -> dict:
    """The loader versions an index's manifest records (``{}``: none, or not a mapping)."""
    loaders = manifest.get(LOADERS_KEY)
    return loaders if isinstance(loaders, dict) else {}


def stale_loaders(manifest: dict) -> set[str]:
    """Kinds of file whose rows in an index were read by another loader than the current
    one (a kind the manifest records no version for counts: indexes written before the
    version was recorded)."""
    loaders = _loaders_of(manifest)
    return {kind for kind, version in LOADER_VERSIONS.items() if loaders.get(kind) != version}


def recorded_loaders(manifest: dict | None, kept_kinds: set[str]) -> dict[str, int]:
    """The loader versions to record in an index written from ``manifest``'s kept rows
    (kinds in ``kept_kinds``) and new ones: the current version of each kind, except a kind
    whose kept rows a stale loader read, which keeps its old version (or none), so that a
    later build of their folder re-encodes them."""
    loaders = dict(LOADER_VERSIONS)
    if manifest is None:
        return loaders
    old = _loaders_of(manifest)
    for kind in stale_loaders(manifest) & kept_kinds:
        if isinstance(old.get(kind), int):
            loaders[kind] = old[kind]
        else:
            del loaders[kind]
    return loaders


def split_of(root: str | os.PathLike, split: str) -> str:
    """The split read from ``root``: ``split``, except that a folder of BVH files without
    ``SPLIT.txt`` is read whole (``"all"``, with a warning), as ``motionlex evaluate`` reads
    it, so ``--split val --data humanml3d --data my_bvh_takes`` indexes both."""
    if split == "all" or (Path(root) / f"{split}.txt").is_file():
        return split
    if detect_layout(root) != "bvh":
        return split  # a joints dataset without the split file: MotionDataset names it
    logger.warning("%s has no %s.txt: every BVH file in it is indexed", Path(root).name, split)
    return "all"


def plan_build(old: Any, data: Any, split: str | Sequence[str], prune: bool = False, *,
               only: set[str] | None = None) -> BuildPlan:
    """Scan the ``data`` folders' ``split`` against the existing index ``old`` (or None).

    A row of an index whose loader for that kind of file is not the current one
    (:func:`stale_loaders`) counts as changed: the loader reads the same file differently
    now. Rows of other
    folders whose files are gone are counted by folder in ``vanished``, or with ``prune``
    dropped (``removed``).

    Args:
        split: one split for every folder, or one per folder (a rebuild's recorded ones).
        only: resolved source paths: the records of other files are passed over, neither
            hashed nor reported (a rebuild reads only the files of its index).

    Raises:
        FileNotFoundError / DatasetError: a folder that is not a dataset (as
            :class:`~motionlex.core.data.datasets.MotionDataset`).
    """
    plan = BuildPlan()
    splits = [split] * len(data) if isinstance(split, str) else list(split)
    indexed = {} if old is None else {s: i for i, s in enumerate(old.sources)}
    stale = set() if old is None else stale_loaders(old.manifest)
    seen: dict[str, str] = {}  # source -> the id it is read as in this build
    unreadable = plan.unreadable  # sources that could not be read (their rows go)
    names: set[str] = set()  # the folders' names: the datasets of their rows
    for root, split in zip(data, splits, strict=True):
        # an id whose file was deleted is skipped (and reported), not a failed build
        try:
            ds = MotionDataset(root, split_of(root, split), skip_missing=True)
        except FileNotFoundError as e:
            if (len(data) < 2 or only is not None or not Path(root).is_dir()
                    or (Path(root) / f"{split}.txt").is_file()):
                raise  # one folder, a folder not found, or another missing file
            raise FileNotFoundError(  # one split for every folder: add this one on its own
                f"{e}; to index {root} whole beside the other folders' {split} split, build "
                f"without it, then run index again on the same --out with --data {root} "
                f"--split all (an index takes new folders in)") from e
        name = Path(ds.root).resolve().name
        names.add(name)
        plan.folders.append((str(Path(ds.root).resolve()), ds.split))
        plan.skipped += ds.report.skipped
        for rec in ds.records:
            source = str(Path(rec.path).resolve())
            if only is not None and source not in only:
                continue  # not a file of the index rebuilt: not hashed
            if source in seen:  # --data A --data A/sub: one file, one row
                plan.skipped.append((rec.id, f"its file {source} is read already as "
                                             f"{seen[source]} (a folder given twice, or one "
                                             f"inside another)"))
                continue
            try:
                sha = file_sha256(source)
            except OSError as e:  # a broken link, a file gone or unreadable since the scan
                plan.skipped.append((rec.id, not_a_motion_file(Path(rec.path))
                                     if not Path(rec.path).exists() or isinstance(
                                         e, SpecialFileError) else f"{rec.path}: {e}"))
                unreadable.add(source)
                continue  # not seen: an indexed row of it is removed below
            seen[source] = rec.id
            row = indexed.get(source)
            if row is not None:
                if (old.source_sha256[row] == sha
                        and list(old.captions[row]) == [c.text for c in rec.captions]
                        and loader_kind(source) not in stale):
                    continue
                plan.drop.add(row)  # a changed file, captions or loader: encoded again
            plan.todo.append((ds, rec, source, sha))
        plan.skipped_datasets += [name] * (len(plan.skipped) - len(plan.skipped_datasets))
    if old is None:
        return plan
    plan.replaced = [old.ids[i] for i in sorted(plan.drop)]
    roots = [os.path.join(str(Path(r).resolve()), "") for r in data]
    removed = {i for i, s in enumerate(old.sources) if s not in seen
               and (old.datasets[i] in names or any(s.startswith(r) for r in roots))
               and (s in unreadable or not Path(s).exists())}
    gone = {i for i, s in enumerate(old.sources)
            if i not in removed and i not in plan.drop and s not in seen and not Path(s).exists()}
    if prune:
        removed |= gone
    else:
        named: dict[str, str] = {}  # a file's folder -> the folder named (stat each once)
        for i in sorted(gone):
            parent = os.path.dirname(old.sources[i])
            if parent not in named:
                named[parent] = vanished_folder(old.sources[i])
            plan.vanished[named[parent]] = plan.vanished.get(named[parent], 0) + 1
    plan.removed = [old.ids[i] for i in sorted(removed)]
    plan.drop |= removed
    return plan


def vanished_folder(source: str) -> str:
    """The folder to name for an indexed file that is gone: the outermost of its folders
    that no longer exists (a renamed or deleted data folder), else the file's own folder
    (the file alone deleted)."""
    folder, top = Path(source).parent, None
    while folder != folder.parent and not folder.exists():
        folder, top = folder.parent, folder
    return str(top if top is not None else Path(source).parent)


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base~2``, ``base~3``, ... the first not in ``taken`` (then taken)."""
    item_id, k = base, 2
    while item_id in taken:
        item_id, k = f"{base}~{k}", k + 1
    taken.add(item_id)
    return item_id


def row_key(item_id: str) -> tuple[str, str]:
    """The dataset and record id of an index row's id (``dataset/id`` or, made unique by
    :func:`unique_id`, ``dataset/id~2``): ``(dataset, id)``."""
    dataset, _, rest = item_id.partition("/")
    return dataset, re.sub(r"~\d+$", "", rest)


@dataclass(eq=False)
class NewItems:
    """Encoded motions waiting to be written (in the order they were encoded)."""

    ids: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    captions: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    source_sha256: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    meta: list[dict] = field(default_factory=list)
    fps: list[float] = field(default_factory=list)
    joints: list[np.ndarray] = field(default_factory=list)
    skeletons: list[Skeleton] = field(default_factory=list)
    dense: list[np.ndarray] = field(default_factory=list)
    lexical: list[sp.csr_matrix] = field(default_factory=list)

    def add(self, base: str, captions: list[str], source: str, sha: str, dataset: str,
            meta: dict, fps: float, joints: np.ndarray, skeleton: Skeleton,
            taken: set[str]) -> None:
        """Append one motion's metadata; its id is ``base`` made unique against ``taken``."""
        self.ids.append(unique_id(base, taken))
        self.bases.append(base)
        self.captions.append(list(captions))
        self.sources.append(source)
        self.source_sha256.append(sha)
        self.datasets.append(dataset)
        self.meta.append(meta)
        self.fps.append(float(fps))
        self.joints.append(joints)
        self.skeletons.append(skeleton)


def work_key(**parts: Any) -> str:
    """SHA-256 of the JSON of ``parts`` (what must match for saved work to be reused)."""
    text = json.dumps({"work_version": WORK_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class BuildWork:
    """The chunk files of one build of ``target`` (see the module docstring).

    Args:
        target: the index directory.
        key: :func:`work_key` of this build.
    """

    def __init__(self, target: str | Path, key: str) -> None:
        target = Path(target)
        self.dir = target.parent / f".{target.name}.work"
        self.key = key
        self.count = 0
        self.enabled = True

    def restore(self, new: NewItems, skipped: list[tuple[str, str]], taken: set[str]) -> int:
        """Load saved chunks of this key into ``new`` (and their unreadable motions into
        ``skipped``); start a fresh work folder when there is none or its key differs.

        Returns:
            The position in the build's todo list to continue from (0: nothing restored).
        """
        resume = 0
        try:
            if self._same_key():
                while True:
                    end = self._load(self.count, resume, new, skipped, taken)
                    if end is None:
                        break
                    resume, self.count = end, self.count + 1
                if self.count:
                    logger.info("continuing an interrupted build: %d encoded batches (%d "
                                "motions) restored from %s", self.count, len(new.ids),
                                self.dir)  # as asked: the report says so, no warning
                return resume
            if self.dir.exists():
                logger.info("discarding the work of another build in %s", self.dir)
                shutil.rmtree(self.dir)
            self.dir.mkdir(parents=True)
            with atomic_file(self.dir / "work.json") as tmp:
                tmp.write_text(json.dumps({"key": self.key}))
        except OSError as e:  # e.g. a read-only folder: build without keeping work
            logger.warning("cannot keep the build's work in %s (%s); an interrupted build "
                           "will start over", self.dir, e)
            self.enabled = False
        return resume

    def _same_key(self) -> bool:
        try:
            return json.loads((self.dir / "work.json").read_text()).get("key") == self.key
        except (OSError, ValueError, AttributeError):
            return False

    def _chunk(self, k: int) -> Path:
        return self.dir / f"chunk-{k:05d}.npz"

    def _load(self, k: int, start: int, new: NewItems, skipped: list[tuple[str, str]],
              taken: set[str]) -> int | None:
        """Append chunk ``k`` (which must begin at todo position ``start``); returns its todo
        end, or None when it is missing or unusable (the rest is then encoded again)."""
        path = self._chunk(k)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                info = json.loads(str(z["info"]))
                dense = np.asarray(z["dense"], np.float32)
                lex = sp.csr_matrix((z["lex_data"], z["lex_indices"], z["lex_indptr"]),
                                    shape=tuple(int(x) for x in z["lex_shape"]))
                rows = np.asarray(z["joints"], np.float32)
            if int(info["start"]) != start:
                raise ValueError(f"it starts at {info['start']}, not {start}")
            skeletons = [Skeleton.from_dict(d) for d in info["skeletons"]]
            offset, items = 0, []
            for it in info["items"]:
                t, j = (int(x) for x in it["shape"])
                items.append((it, rows[offset:offset + t * j].reshape(t, j, 3)))
                offset += t * j
        except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError,
                zipfile.BadZipFile) as e:
            logger.warning("ignoring unusable build work %s (%s)", path, e)
            return None
        new.dense.append(dense)
        new.lexical.append(lex)
        for it, joints in items:
            new.add(it["base"], it["captions"], it["source"], it["sha256"], it["dataset"],
                    it["meta"], it["fps"], joints, skeletons[it["skeleton"]], taken)
        skipped.extend((str(a), str(b)) for a, b in info["skipped"])
        return int(info["end"])

    def save(self, start: int, end: int, new: NewItems, first: int,
             skipped: list[tuple[str, str]]) -> None:
        """Save the batch just encoded: motions ``new[first:]`` (and their last
        ``dense``/``lexical`` blocks), covering todo positions ``start:end``, with the
        motions of that range that could not be read. A failure to write only logs."""
        if not self.enabled:
            return
        skels: list[Skeleton] = []
        items = []
        for i in range(first, len(new.ids)):
            if new.skeletons[i] not in skels:
                skels.append(new.skeletons[i])
            items.append({"base": new.bases[i], "captions": new.captions[i],
                          "source": new.sources[i], "sha256": new.source_sha256[i],
                          "dataset": new.datasets[i], "meta": new.meta[i], "fps": new.fps[i],
                          "shape": list(new.joints[i].shape[:2]),
                          "skeleton": skels.index(new.skeletons[i])})
        info = {"start": start, "end": end, "items": items,
                "skeletons": [s.to_dict() for s in skels], "skipped": skipped}
        lex = new.lexical[-1].tocsr()
        joints = [np.asarray(j, np.float32).reshape(-1, 3) for j in new.joints[first:]]
        try:
            with atomic_file(self._chunk(self.count)) as tmp:
                np.savez(tmp, info=np.array(json.dumps(info)), dense=new.dense[-1],
                         lex_data=lex.data, lex_indices=lex.indices, lex_indptr=lex.indptr,
                         lex_shape=np.asarray(lex.shape),
                         joints=np.concatenate(joints) if joints else np.zeros((0, 3)))
            self.count += 1
        except (OSError, TypeError, ValueError) as e:  # disk full, meta that is not JSON
            logger.warning("cannot save build work to %s (%s); an interrupted build will "
                           "encode the rest again", self.dir, e)
            self.enabled = False

    def discard(self) -> None:
        """Delete the work folder (the index is written)."""
        shutil.rmtree(self.dir, ignore_errors=True)
