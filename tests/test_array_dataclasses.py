"""Dataclasses that hold arrays compare by identity (or by their own ``__eq__``), checked
over the source tree: the ``__eq__`` a dataclass generates compares fields with ``==``,
which on NumPy arrays raises "truth value of an array is ambiguous", and a frozen one's
generated ``__hash__`` raises TypeError (code review 36 F2). Such a class says
``eq=False`` or defines ``__eq__`` (as :class:`~motionlex.core.patches.PatchStats` does)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("core", "app", "widgets")
ARRAY_TYPES = ("ndarray", "Tensor", "csr_matrix", "spmatrix")


def _array_dataclasses_comparing_fields(source: str) -> list[str]:
    """Names of the dataclasses in ``source`` that hold an array field and keep the
    generated ``__eq__`` (no ``eq=False``, no ``__eq__`` of their own)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        for dec in node.decorator_list:
            name = dec.func if isinstance(dec, ast.Call) else dec
            if ast.unparse(name).rsplit(".", 1)[-1] != "dataclass":
                continue
            eq_off = isinstance(dec, ast.Call) and any(
                k.arg == "eq" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in dec.keywords)
            own_eq = any(isinstance(b, ast.FunctionDef) and b.name == "__eq__"
                         for b in node.body)
            arrays = [b for b in node.body if isinstance(b, ast.AnnAssign)
                      and any(t in ast.unparse(b.annotation) for t in ARRAY_TYPES)]
            if arrays and not eq_off and not own_eq:
                out.append(node.name)
    return out


def test_no_dataclass_compares_arrays_with_the_generated_eq() -> None:
    files = [p for f in SOURCE_FOLDERS for p in sorted((REPO / f).rglob("*.py"))]
    assert len(files) > 100, "the source tree moved"
    bad = [f"{p.relative_to(REPO)}: {name}" for p in files
           for name in _array_dataclasses_comparing_fields(p.read_text(encoding="utf-8"))]
    assert not bad, "dataclasses over arrays need eq=False or their own __eq__: " + "; ".join(bad)


def test_the_scan_sees_a_dataclass_over_an_array() -> None:
    """The check itself can fail: the generated ``__eq__`` over an array field is reported."""
    src = ("import dataclasses\nfrom dataclasses import dataclass\nimport numpy as np\n"
           "@dataclass(frozen=True)\nclass A:\n    x: np.ndarray\n"
           "@dataclasses.dataclass\nclass B:\n    x: 'torch.Tensor | None'\n"
           "@dataclass(frozen=True, eq=False)\nclass C:\n    x: np.ndarray\n"
           "@dataclass(frozen=True)\nclass D:\n    x: np.ndarray\n"
           "    def __eq__(self, o): return self is o\n"
           "@dataclass(frozen=True)\nclass E:\n    x: int\n")
    assert _array_dataclasses_comparing_fields(src) == ["A", "B"]
