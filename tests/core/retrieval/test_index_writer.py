"""The index writer: size checks and refusal to overwrite a file."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from motionlex.core.retrieval.index import IndexSettings
from motionlex.core.retrieval.index_writer import write_index


def test_writer_validates(tmp_path, stats):
    with pytest.raises(ValueError, match="needs dense"):
        write_index(tmp_path / "g.mlx", dense=np.zeros((2, 4)), lexical=sp.csr_matrix((3, 5)),
                    items={"ids": ["a", "b"]}, joints=[], num_frames=np.zeros(2),
                    fps=np.zeros(2), skeleton_ids=np.zeros(2), skeletons=[], patch_stats=stats,
                    vocabulary=list("abcde"), model_info={}, settings=IndexSettings())
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        write_index(tmp_path / "file", dense=np.zeros((0, 4)), lexical=sp.csr_matrix((0, 1)),
                    items={"ids": []}, joints=[], num_frames=np.zeros(0), fps=np.zeros(0),
                    skeleton_ids=np.zeros(0), skeletons=[], patch_stats=stats,
                    vocabulary=["a"], model_info={}, settings=IndexSettings())
