"""Fuzz the loaders with hypothesis: every bad input must end in a documented error.

Issue 15 asks for a fuzz pass of the loaders that reports inputs tried and failures found.
Each target feeds generated inputs to one loader through a file, as a user would give it:

- ``npy``: ``load_motion_file`` on ``.npy`` files (random bytes, arrays of any dtype and shape
  with NaN/inf/huge values or objects, damaged copies of a real file; half of them inside a
  dataset's ``new_joints/``, where units and fps are detected);
- ``bvh``: ``load_motion_file`` on a real Bandai BVH with lines deleted, duplicated, changed
  or truncated, and on random text;
- ``captions``: ``read_captions`` on ``caption#tokens#start#end`` lines of fuzzed fields,
  random text and invalid UTF-8;
- ``model_config`` / ``train_yaml``: ``read_config`` on the tiny model's ``config.json`` and
  ``load_train_config`` on ``configs/tiny.yaml``, with keys deleted, added or set to random
  values (nested ones too), and on random JSON / YAML / text;
- ``index_json``: ``GalleryIndex.load`` on a real tiny index whose ``manifest.json`` or
  ``items_head.json`` is mutated (checksums kept consistent, so the type checks are reached);
- ``dataset_meta``: ``MotionDataset`` on a folder with a mutated ``meta.json``.

An input passes when the loader returns or raises a documented error (``ValueError`` and its
subclasses ``MotionFileError``, ``DatasetError``, ``GalleryIndexError``; ``FileNotFoundError``).
Any other exception is a failure; an input taking more than ``--limit`` seconds is a hang. A
documented error whose message does not name the file is counted as "unnamed" (an unclear
message, not a failure). Failures are grouped by exception type and the innermost motionlex
frame, with the first input that raised each.

Usage (nice it: the machine is shared)::

    nice -n 19 python benchmarks/fuzz_loaders.py --examples 500 [--targets npy bvh ...]
        [--seed 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MOTIONLEX_DATA", ROOT.parent / "shared" / "data"))
DOCUMENTED = (ValueError, FileNotFoundError)
"""What a loader may raise for bad input (the CLI turns these into one line)."""


class Hang(BaseException):
    """Raised by the alarm when one input runs past the limit (not catchable as Exception)."""


@dataclass
class Tally:
    """Counts of one target."""

    inputs: int = 0
    loaded: int = 0
    refused: int = 0
    unnamed: int = 0
    failures: int = 0
    hangs: int = 0
    seconds: float = 0.0
    signatures: dict[str, dict[str, Any]] = field(default_factory=dict)
    unnamed_examples: list[str] = field(default_factory=list)


def _signature(e: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(e.__traceback__) if "motionlex" in f.filename
              or "/core/" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(e).__name__} at {where}"


def run_one(tally: Tally, path: Path, load: Callable[[Path], Any], shown: Any,
            limit: float) -> None:
    """Run ``load(path)`` once, classifying the outcome into ``tally``."""
    tally.inputs += 1
    t0 = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        load(path)
        tally.loaded += 1
    except Hang:
        tally.hangs += 1
        tally.signatures.setdefault(f"hang > {limit:g} s", {"count": 0, "input": repr(shown)[
            :300]})["count"] += 1
    except DOCUMENTED as e:
        tally.refused += 1
        if path.name not in str(e) and path.parent.name not in str(e):
            tally.unnamed += 1
            if len(tally.unnamed_examples) < 5:
                tally.unnamed_examples.append(f"{type(e).__name__}: {str(e)[:160]}")
    except Exception as e:  # noqa: BLE001 -- the point of the fuzz
        tally.failures += 1
        tally.signatures.setdefault(_signature(e), {"count": 0, "message": str(e)[:200],
                                                    "input": repr(shown)[:300]})["count"] += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        tally.seconds += time.perf_counter() - t0


# -- strategies -------------------------------------------------------------------------
NUMBERS = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-0", "0x1F", "1,5", "", "1e-400"]))
TOKENS = st.one_of(NUMBERS.map(str), st.text(max_size=12),
                   st.sampled_from(["{", "}", "JOINT", "End Site", "ROOT", "OFFSET", "CHANNELS",
                                    "MOTION", "Frames:", "Frame Time:", "Xrotation", "HIERARCHY"]))
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=8)


@st.composite
def mutated_lines(draw: Any, lines: list[str], max_ops: int = 6) -> str:
    """``lines`` with a few line-level edits (delete, duplicate, replace a token, insert)."""
    out = list(lines)
    for _ in range(draw(st.integers(1, max_ops))):
        if not out:
            break
        i = draw(st.integers(0, len(out) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "token", "insert", "truncate"]))
        if op == "delete":
            del out[i]
        elif op == "duplicate":
            out.insert(i, out[i])
        elif op == "insert":
            out.insert(i, " ".join(draw(st.lists(TOKENS, max_size=5))))
        elif op == "truncate":
            out = out[:i] + [out[i][:draw(st.integers(0, len(out[i])))]]
        else:
            words = out[i].split()
            if words:
                words[draw(st.integers(0, len(words) - 1))] = draw(TOKENS)
                out[i] = " ".join(words)
    return "\n".join(out) + draw(st.sampled_from(["\n", ""]))


@st.composite
def mutated_mapping(draw: Any, base: dict, nested: tuple[str, ...] = ()) -> Any:
    """``base`` with keys deleted, added or set to random values (also inside ``nested``)."""
    d = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 4))):
        target = d
        key = draw(st.sampled_from(sorted(d) + list(nested)))
        if key in nested and isinstance(d.get(key), (dict, list)) and draw(st.booleans()):
            target = d[key]
            if isinstance(target, list):
                if not target:
                    continue
                j = draw(st.integers(0, len(target) - 1))
                if isinstance(target[j], dict) and target[j] and draw(st.booleans()):
                    target, key = target[j], draw(st.sampled_from(sorted(target[j])))
                else:
                    target[j] = draw(JSON_VALUES)
                    continue
            elif target:
                key = draw(st.sampled_from(sorted(target)))
            else:
                continue
        op = draw(st.sampled_from(["delete", "set", "add"]))
        if op == "delete":
            target.pop(key, None)
        elif op == "set":
            target[key] = draw(JSON_VALUES)
        else:
            target[draw(st.text(max_size=10))] = draw(JSON_VALUES)
    return d


def _damaged(data: bytes) -> Any:
    """``data`` with 1-4 bytes flipped, inserted or the rest cut off."""
    edit = st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255),
                     st.sampled_from(["flip", "cut", "insert"]))

    def apply(edits: list[tuple[int, int, str]]) -> bytes:
        out = bytearray(data)
        for pos, byte, op in edits:
            pos = min(pos, max(len(out) - 1, 0))
            if op == "flip" and out:
                out[pos] ^= byte
            elif op == "cut":
                del out[pos:]
            else:
                out.insert(pos, byte)
        return bytes(out)

    return st.lists(edit, min_size=1, max_size=4).map(apply)


def _file_target(path: Path, inputs: Any, load: Callable[[Path], Any], n: int, limit: float,
                 seed: int) -> Tally:
    """Write each generated input (text or bytes) to ``path`` and run ``load`` on it."""
    tally = Tally()

    @given(inputs)
    def check(content: str | bytes) -> None:
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", errors="surrogateescape")
        else:
            path.write_bytes(content)
        run_one(tally, path, load, content[-300:], limit)

    _run(check, n, seed)
    return tally


# -- targets ----------------------------------------------------------------------------
def target_npy(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    from motionlex.core.motion.files import load_motion_file

    real = (DATA / "humanml3d_samples" / "new_joints" / "000000.npy").read_bytes()
    (tmp / "new_joints").mkdir(exist_ok=True)
    dtypes = st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int64, np.uint8,
                              np.bool_, np.complex64, "<U3", "|S2"])
    arrays = hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0,
                                                  max_side=25))
    tally = Tally()

    def save_array(a: np.ndarray) -> bytes:
        p = tmp / "arr.npy"
        np.save(p, a)
        return p.read_bytes()

    @given(st.one_of(
        st.binary(max_size=600),
        arrays.map(save_array),
        _damaged(real),
        st.just(save_array(np.array([{"a": 1}], dtype=object))),
        st.builds(lambda t, j, s: save_array(np.full((t, j, 3), s, np.float32)),
                  st.integers(0, 40), st.sampled_from([0, 1, 21, 22, 23, 500]),
                  st.sampled_from([0.0, 1.0, 100.0, 1e30, np.nan, np.inf]))),
        st.booleans())
    def check(data: bytes, in_dataset: bool) -> None:
        path = (tmp / "new_joints" if in_dataset else tmp) / "motion.npy"
        path.write_bytes(data)
        run_one(tally, path, load_motion_file, data[:120], limit)

    _run(check, n, seed)
    return tally


def target_bvh(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    from motionlex.core.motion.files import load_motion_file

    text = (DATA / "raw_bvh" / "bandai_1_dash_normal_001.bvh").read_text()
    lines = text.splitlines()
    motion_at = next(i for i, ln in enumerate(lines) if ln.startswith("MOTION"))
    lines = lines[:motion_at + 3 + 6]  # 6 frames are enough for the reader
    lines[motion_at + 1] = "Frames:\t6"
    return _file_target(tmp / "take.bvh", st.one_of(
        mutated_lines(lines), mutated_lines(lines, 20), st.text(max_size=400),
        st.binary(max_size=300).map(lambda b: b.decode("latin-1"))), load_motion_file, n, limit,
        seed)


def target_captions(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    from motionlex.core.data.text_files import read_captions

    field_text = st.one_of(st.text(max_size=20), NUMBERS.map(str))
    line = st.one_of(
        st.lists(field_text, min_size=1, max_size=6).map("#".join),
        st.tuples(st.text(min_size=1, max_size=30), st.text(max_size=10), NUMBERS.map(str),
                  NUMBERS.map(str)).map("#".join),
        st.text(max_size=60))
    return _file_target(tmp / "000001.txt", st.one_of(
        st.lists(line, max_size=6).map("\n".join), st.binary(max_size=200)), read_captions, n,
        limit, seed)


def _read_config() -> Callable[[Path], Any]:
    try:
        from motionlex.core.model.folder import read_config
    except ImportError:  # before core/model/folder.py existed
        from motionlex.core.model.checkpoint import read_config
    return read_config


def target_model_config(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    from motionlex.core.model.factory import model_config

    base = model_config("tiny").to_dict()
    return _file_target(tmp / "config.json", st.one_of(
        mutated_mapping(base, ("text_random_init",)).map(json.dumps),
        JSON_VALUES.map(json.dumps), st.text(max_size=100)), _read_config(), n, limit, seed)


def target_train_yaml(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    from motionlex.core.train.train_config import load_train_config

    text = (ROOT / "configs" / "tiny.yaml").read_text()

    def dump(d: Any) -> str:
        return yaml.safe_dump(d, sort_keys=False)

    nested = ("phases", "objective", "model_overrides")
    return _file_target(tmp / "train.yaml", st.one_of(
        mutated_mapping(yaml.safe_load(text), nested).map(dump), JSON_VALUES.map(dump),
        st.text(max_size=150), mutated_lines(text.splitlines())), load_train_config, n, limit,
        seed)


def target_index_json(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    import torch

    from motionlex.core.model.factory import create_model
    from motionlex.core.patches import PatchStats
    from motionlex.core.retrieval.build import build_index
    from motionlex.core.retrieval.fingerprints import file_sha256
    from motionlex.core.retrieval.index import GalleryIndex

    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()
    stats = PatchStats(np.zeros((80, 3), np.float32), np.ones((80, 3), np.float32))
    root = tmp / "g.mlx"
    build_index(model, [DATA / "humanml3d_samples"], root, patch_stats=stats, progress=False)
    manifest_bytes, items_bytes = (root / "manifest.json").read_bytes(), (
        root / "items_head.json").read_bytes()
    manifest, items = json.loads(manifest_bytes), json.loads(items_bytes)
    tally = Tally()

    @given(st.one_of(
        st.tuples(st.just("manifest.json"),
                  mutated_mapping(manifest, ("files", "model", "settings"))),
        st.tuples(st.just("items_head.json"),
                  mutated_mapping(items, ("ids", "captions"))),
        st.tuples(st.sampled_from(["manifest.json", "items_head.json"]), JSON_VALUES)))
    def check(case: tuple[str, Any]) -> None:
        name, value = case
        (root / "items_head.json").write_bytes(items_bytes)
        (root / "manifest.json").write_bytes(manifest_bytes)
        man = json.loads(manifest_bytes)
        if name == "items_head.json":
            (root / name).write_text(json.dumps(value))
            man["files"]["items_head.json"] = {"bytes": (root / name).stat().st_size,
                                          "sha256": file_sha256(root / name)}
            (root / "manifest.json").write_text(json.dumps(man))
        else:
            (root / name).write_text(json.dumps(value))

        def load(path: Path) -> Any:
            idx = GalleryIndex.load(path.parent)  # then what a search reads first
            return (idx.fusion_weight, idx.settings, idx.model_hash, idx.item(0)
                    if len(idx) else None, idx.size_bytes())

        run_one(tally, root / name, load, value, limit)

    _run(check, n, seed)
    return tally


def target_dataset_meta(tmp: Path, n: int, limit: float, seed: int) -> Tally:
    import shutil

    from motionlex.core.data.datasets import MotionDataset

    root = tmp / "ds"
    if not root.exists():
        shutil.copytree(DATA / "humanml3d_samples", root)
    base = {"000000": {"action": "kick", "source": "x"}}
    tally = Tally()

    @given(st.one_of(mutated_mapping(base, ("000000",)), JSON_VALUES))
    def check(value: Any) -> None:
        (root / "meta.json").write_text(json.dumps(value))

        def load(path: Path) -> Any:
            ds = MotionDataset(path.parent, "all")
            return [dict(r.meta) for r in ds.records]

        run_one(tally, root / "meta.json", load, value, limit)

    _run(check, n, seed)
    return tally


TARGETS = {"npy": target_npy, "bvh": target_bvh, "captions": target_captions,
           "model_config": target_model_config, "train_yaml": target_train_yaml,
           "index_json": target_index_json, "dataset_meta": target_dataset_meta}


def _run(check: Any, n: int, seed: int) -> None:
    """Run a ``@given`` function for ``n`` inputs: seeded, no database, no shrinking (the
    function records outcomes and never raises, so every input counts once)."""
    from hypothesis import seed as hseed

    wrapped = settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
                       suppress_health_check=list(HealthCheck))(hseed(seed)(check))
    wrapped()


def _alarm(signum: int, frame: Any) -> None:
    raise Hang


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=int, default=500, help="inputs per target")
    p.add_argument("--targets", nargs="+", choices=sorted(TARGETS), default=list(TARGETS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=float, default=20.0, help="seconds before an input hangs")
    p.add_argument("--json", type=Path, default=None, help="write the tallies here")
    args = p.parse_args(argv)
    logging.disable(logging.CRITICAL)  # loaders log skipped input; the tally is the output
    warnings.simplefilter("ignore")  # NumPy's overflow warnings on fuzzed arrays
    signal.signal(signal.SIGALRM, _alarm)
    results: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        for name in args.targets:
            tmp = Path(d) / name
            tmp.mkdir()
            t0 = time.perf_counter()
            results[name] = TARGETS[name](tmp, args.examples, args.limit, args.seed)
            r = results[name]
            print(f"{name:13s} {r.inputs:6d} inputs  {r.loaded:5d} loaded  {r.refused:5d} "
                  f"refused ({r.unnamed} unnamed)  {r.failures:4d} failures  {r.hangs} hangs  "
                  f"{time.perf_counter() - t0:6.1f} s", flush=True)
            for sig, info in sorted(r.signatures.items(), key=lambda kv: -kv[1]["count"]):
                print(f"    {info['count']:4d} x {sig}: {info.get('message', '')[:120]}")
                print(f"         first input: {info['input'][:160]}")
            for ex in r.unnamed_examples[:3]:
                print(f"    unnamed: {ex}")
    total = sum(r.failures + r.hangs for r in results.values())
    print(f"total: {sum(r.inputs for r in results.values())} inputs, {total} failures/hangs")
    if args.json:
        args.json.write_text(json.dumps({k: vars(v) for k, v in results.items()}, indent=1,
                                        default=str))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
