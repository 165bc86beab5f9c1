"""Which index a gallery folder opens: an index directory as it is, a dataset folder its
index in the cache folder (one per folder and model), built or brought up to date by
:func:`~.build.build_steps`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from motionlex.core.retrieval.index_format import MANIFEST


def cached_index_path(cache_dir: Path, dataset: Path, model_hash: str) -> Path:
    """Where the index built from ``dataset`` by a model is cached.

    Returns:
        ``cache_dir / "<folder name>-<8 hex of its path>-<8 hex of the model>.mlx"``.
    """
    key = hashlib.sha256(str(dataset.resolve()).encode()).hexdigest()[:8]
    return cache_dir / f"{dataset.name or 'gallery'}-{key}-{model_hash[:8]}.mlx"


def gallery_index_path(root: Path, cache_dir: Path, model_hash: str) -> tuple[Path, bool]:
    """The index a gallery folder opens, and whether it must be built (or brought up to date).

    A folder holding a ``manifest.json`` is an index and opens as it is; any other folder is
    a dataset, encoded into its cached index (:func:`cached_index_path`) by
    :func:`~.build.build_steps`, which re-encodes only new or changed files of an existing one.

    Args:
        root: the gallery folder (an index directory or a dataset folder).
        cache_dir: folder of the cached indexes of dataset folders.
        model_hash: hex fingerprint of the model that encodes a dataset (its first 8
            characters name the cached index); unused when ``root`` is an index.

    Returns:
        ``(index directory, build)``: ``(root, False)`` for an index, else
        ``(cached index path, True)``.

    Raises:
        Nothing of its own: ``root`` is not checked (a missing folder or a file counts as a
        dataset); the caller checks it, and :func:`~.build.build_steps` or
        :meth:`~.index.GalleryIndex.load` report what is wrong.
    """
    if (root / MANIFEST).is_file():
        return root, False
    return cached_index_path(cache_dir, root, model_hash), True
