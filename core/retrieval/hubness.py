"""Hub captions in describing: CSLS over a query bank of the model's training motions.

Describing a motion ranks a caption bank by its fused score with the motion. A few captions
sit close to very many motions ("hubs": for the shipped model "a person waves goodbye with
both hands like a thug." is the best caption of kick, punch and bow takes), so rare actions
are named by a frequent neighbour. Cross-domain Similarity Local Scaling (CSLS; Conneau et
al., "Word translation without parallel data", ICLR 2018, Sec. 2.3) ranks by
``2 s(m, c) - r(c) - r(m)``, with ``r(c)`` the mean similarity of caption ``c`` to its ``K``
nearest motions of a query bank; ``r(m)`` is one constant per motion, so a motion's captions
are ranked by ``s(m, c) - r(c) / 2``. The query bank is the model's training motions; the
per-caption ``r(c)`` (the caption's *hubness*) is stored beside the bank in the model folder
(:data:`HUBNESS_FILE`), for a grid of fusion weights since ``s`` is the fused score.

Measured on Bandai (3,002 clips, shipped model, its 886-caption bank, query bank the 2,932
training clips, ``K = 10``): the top caption names the clip's action for 78.1% of the 128
clips of the 14 rarest actions (71.1% plain), 84.4% averaged over the 26 actions (74.4%),
98.6% of val clips either way (``benchmarks/describe_actions.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from motionlex.core.json_io import write_json
from motionlex.core.model.folder import CHECKSUM_FILE, WEIGHTS_FILE
from motionlex.core.retrieval.fusion import fuse
from motionlex.core.value_checks import rounded

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # describe imports this module
    from motionlex.core.retrieval.describe import CaptionBank

HUBNESS_FILE = "caption_bank_hubness.json"
"""A model folder's per-caption hubness of its ``caption_bank.txt`` (JSON: ``format``, ``k``,
``captions_sha256``, ``weights_sha256``, ``query_bank``, ``weights`` and ``hubness``, one row
per weight). It holds for one model's weights: a folder whose ``checksums.json`` names other
weights (a fine-tuned copy) does not use it."""

HUBNESS_FORMAT = 1
"""Version of :data:`HUBNESS_FILE`."""

CSLS_NEIGHBOURS = 10
"""``K``: the nearest query-bank motions whose mean similarity is a caption's hubness."""

WEIGHT_GRID = tuple(round(0.1 * i, 1) for i in range(11))
"""Fusion weights (dense share) the hubness is stored at; others are interpolated."""


def _weights_sha256(folder: Path) -> str | None:
    """The model folder's weights SHA-256 as its ``checksums.json`` records it (None: none)."""
    try:
        return json.loads((folder / CHECKSUM_FILE).read_text())["sha256"][WEIGHTS_FILE]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def captions_sha256(captions: Sequence[str]) -> str:
    """SHA-256 (hex) of a bank's captions, one a line: ties a hubness file to its bank."""
    return hashlib.sha256("\n".join(captions).encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class BankHubness:
    """Each bank caption's hubness ``r(c)`` at a grid of fusion weights.

    Attributes:
        weights: ``(W,)`` float64 increasing fusion weights in ``[0, 1]``.
        values: ``(W, B)`` float32: row ``i`` holds each caption's mean fused score with its
            ``k`` nearest query-bank motions at fusion weight ``weights[i]``.
        k: neighbours averaged.
        query_bank: what the query bank was (for messages and ``--json``).
    """

    weights: np.ndarray
    values: np.ndarray
    k: int
    query_bank: str

    def at(self, weight: float) -> np.ndarray:
        """``(B,)`` float32 hubness at ``weight`` (linear between grid weights).

        Raises:
            ValueError: ``weight`` outside the grid's range.
        """
        w = float(weight)
        if not self.weights[0] <= w <= self.weights[-1]:
            raise ValueError(f"fusion weight {w} outside the hubness grid "
                             f"[{self.weights[0]}, {self.weights[-1]}]")
        i = int(np.clip(np.searchsorted(self.weights, w) - 1, 0, len(self.weights) - 2))
        t = (w - self.weights[i]) / (self.weights[i + 1] - self.weights[i])
        return ((1 - t) * self.values[i] + t * self.values[i + 1]).astype(np.float32)


def csls_scores(fused: np.ndarray, hubness: np.ndarray) -> np.ndarray:
    """CSLS ranking scores of motions against a bank, ``fused - hubness / 2``.

    Args:
        fused: ``(N, B)`` or ``(B,)`` fused scores of motions with the bank's captions.
        hubness: ``(B,)`` each caption's :class:`BankHubness` value at the same weight.

    Returns:
        Same shape as ``fused``, float32 (rank by it; show ``fused``).

    Source: Conneau et al., ICLR 2018, Sec. 2.3 (CSLS; the motion's own ``r(m)`` dropped as
    constant for ranking its captions).
    """
    return (np.asarray(fused, np.float32) - 0.5 * np.asarray(hubness, np.float32)).astype(
        np.float32)


def bank_hubness(bank_dense: np.ndarray, bank_lexical: sp.csr_matrix, motion_dense: np.ndarray,
                 motion_lexical: sp.csr_matrix, *, query_bank: str,
                 k: int = CSLS_NEIGHBOURS, weights: Sequence[float] = WEIGHT_GRID
                 ) -> BankHubness:
    """Each caption's hubness over a query bank of ``M`` motions.

    Fused scores are taken as describing takes them: per motion, its lexical scores over the
    bank are divided by their maximum (:func:`~.fusion.fuse` along the caption axis).

    Args:
        bank_dense / bank_lexical: ``(B, D)`` float32 unit dense rows and ``(B, V)`` CSR
            lexical rows of the bank's captions (a :class:`~.describe.CaptionBank`'s).
        motion_dense / motion_lexical: ``(M, D)`` and ``(M, V)`` rows of the query-bank
            motions, as an index stores them (``encode_motions`` then ``sparsify_lexical``).
        query_bank: a description of the motions (kept in the file).
        k: neighbours averaged (at most ``M``).
        weights: increasing fusion weights in ``[0, 1]``, at least two.

    Raises:
        ValueError: fewer than ``k`` motions, ``k < 1``, fewer than two weights or weights
            not increasing in ``[0, 1]``, or mismatched widths.
    """
    w = np.asarray(weights, np.float64)
    if len(w) < 2 or np.any(np.diff(w) <= 0) or w[0] < 0 or w[-1] > 1:
        raise ValueError(f"weights must be at least two increasing values in [0, 1], got {w}")
    m = len(motion_dense)
    if k < 1 or m < k:
        raise ValueError(f"hubness needs k >= 1 and at least k query motions, got k={k}, {m}")
    d = np.asarray(motion_dense, np.float32) @ np.asarray(bank_dense, np.float32).T
    lex = np.asarray((sp.csr_matrix(motion_lexical) @ sp.csr_matrix(bank_lexical).T).todense(),
                     np.float32)
    values = np.stack([np.sort(fuse(d, lex, float(x), axis=1), axis=0)[-k:].mean(axis=0)
                       for x in w]).astype(np.float32)
    return BankHubness(w, values, int(k), query_bank)


def write_hubness(folder: str | os.PathLike, captions: Sequence[str], hub: BankHubness) -> Path:
    """Write :data:`HUBNESS_FILE` for ``captions`` into a model folder (atomically).

    Raises:
        ValueError: ``hub`` holds another number of captions.
        OSError: the folder cannot be written.
    """
    if hub.values.shape[1] != len(captions):
        raise ValueError(f"hubness of {hub.values.shape[1]} captions for {len(captions)}")
    doc = {"format": HUBNESS_FORMAT, "k": hub.k, "query_bank": hub.query_bank,
           "captions_sha256": captions_sha256(captions),
           "weights_sha256": _weights_sha256(Path(folder)), "weights": hub.weights.tolist(),
           "hubness": rounded(hub.values.tolist())}
    return write_json(Path(folder) / HUBNESS_FILE, doc, compact=True)


def read_hubness(folder: str | os.PathLike, captions: Sequence[str]) -> BankHubness | None:
    """The model folder's hubness of ``captions``, or None (no file, or one written for
    other captions, other weights or in another format: logged, and describing ranks by
    fused scores)."""
    path = Path(folder) / HUBNESS_FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != HUBNESS_FORMAT:
            raise ValueError(f"not a format-{HUBNESS_FORMAT} hubness document")
        if doc["captions_sha256"] != captions_sha256(captions):
            logger.info("%s belongs to other captions than the bank: not used", path)
            return None
        if doc.get("weights_sha256") != _weights_sha256(path.parent):
            logger.info("%s was computed for other weights than the folder's: not used", path)
            return None
        hub = BankHubness(np.asarray(doc["weights"], np.float64),
                          np.asarray(doc["hubness"], np.float32), int(doc["k"]),
                          str(doc.get("query_bank", "")))
        if hub.values.shape != (len(hub.weights), len(captions)) or len(hub.weights) < 2:
            raise ValueError(f"hubness of shape {hub.values.shape} for {len(hub.weights)} "
                             f"weights and {len(captions)} captions")
    except (OSError, ValueError, KeyError, TypeError) as e:
        logger.warning("%s unreadable (%s): describing ranks by fused scores", path, e)
        return None
    return hub


def with_hubness(bank: CaptionBank, checkpoint: str | os.PathLike) -> CaptionBank:
    """``bank`` with the model folder's hubness of its captions attached
    (:func:`read_hubness`), so describing ranks it by CSLS; the bank as it is when the
    folder has none for these captions and weights."""
    hub = read_hubness(checkpoint, bank.captions)
    return bank if hub is None else replace(bank, hubness=hub)
