"""``torch.compile`` for the two towers while a phase trains (the training config's ``compile``).

On a GPU an eager training step is bound by the host: every layer of the ViT and the text
transformer is a dozen Python module calls and kernel launches, and cpu-small's step (26 M
parameters) took 50 ms on an H200 where paper-base (154 M) took 93 ms (docs/gpu). Compiling
the towers fuses their element-wise kernels and replaces the Python of each layer with one
graph call, as open_clip's and timm's ``--torchcompile`` do. The heads, the losses and the
objective stay eager: they are a small share of the kernels and read Python data (captions,
CAR owners).

The towers are compiled in place (``nn.Module.compile``), so parameter names, state dicts,
Lightning checkpoints and the exported model are those of an eager run; :func:`uncompile`
returns the modules to eager calls when the phase ends. Shapes vary from batch to batch (the
longest caption, the number of CAR negatives), so the first steps compile a second time with
dynamic sizes (``dynamic=None``, torch's default) and then stay compiled.
"""

from __future__ import annotations

from torch import nn


def compile_off(backend: str | None) -> bool:
    """Whether a ``compile`` value leaves training eager: None (the default), ``""`` or
    ``none`` in any case."""
    return backend is None or str(backend).strip().lower() in ("", "none")


RECOMPILE_LIMIT = 64
"""Graphs torch may keep per compiled function (its default, 8, is too few here): the ViT's
and BERT's ``forward`` share one transformers wrapper function, and each phase (CMMM's masked
patches, the text-only LexMLM), training and validation, and the switch to dynamic sizes
compile their own graph; a tiny 4-phase run already needs 6. Past the limit torch falls
back to eager calls for the rest of the run."""


def compile_backends(debug: bool = True) -> list[str]:
    """Backend names ``torch.compile`` accepts here, ``inductor`` first (``debug``: with the
    debugging ones such as ``aot_eager`` and ``eager``, which compile nothing but check that
    the towers trace)."""
    import torch._dynamo  # noqa: PLC0415 - ~1 s to import: only when compile is asked for

    names = torch._dynamo.list_backends(exclude_tags=()) if debug else \
        torch._dynamo.list_backends()
    return sorted(names, key=lambda n: (n != "inductor", n))


def check_compile_backend(backend: str | None) -> None:
    """Refuse a ``compile`` setting ``torch.compile`` does not know, before data are loaded.

    Raises:
        ValueError: not a registered backend (the message lists those that are).
    """
    if compile_off(backend):
        return
    if backend not in compile_backends():
        raise ValueError(f"compile={backend!r} is not a torch.compile backend; use none, "
                         f"{', '.join(compile_backends(debug=False))} (or a debugging backend "
                         f"such as aot_eager)")


def tower_modules(model: nn.Module) -> list[nn.Module]:
    """The modules of a :class:`~motionlex.core.model.model.MotionTextModel` whose calls hold
    the towers' work: the transformers ViT (or, for a timm backbone, which the motion encoder
    runs block by block, each block) and the text backbone."""
    motion = model.motion
    if getattr(motion, "backend", "vit") == "timm":
        motion_parts = list(motion.backbone.blocks)
    else:
        motion_parts = [motion.backbone]
    return [*motion_parts, model.text.backbone]


def compile_towers(model: nn.Module, backend: str | None) -> list[nn.Module]:
    """Compile the towers of ``model`` in place with ``torch.compile(backend=backend)``.

    Args:
        model: a :class:`~motionlex.core.model.model.MotionTextModel`.
        backend: a ``torch.compile`` backend (``inductor`` on a GPU); None/``none``: nothing.
            Raises torch's recompile limit to :data:`RECOMPILE_LIMIT` (a process setting).

    Returns:
        The compiled modules (for :func:`uncompile`); ``[]`` when ``backend`` is off.

    Raises:
        ValueError: an unknown backend (:func:`check_compile_backend`).
    """
    if compile_off(backend):
        return []
    check_compile_backend(backend)
    import torch._dynamo.config as dynamo_config  # noqa: PLC0415 - loaded by the check

    name = "recompile_limit" if hasattr(dynamo_config, "recompile_limit") else \
        "cache_size_limit"  # torch < 2.7 (an alias of recompile_limit since)
    setattr(dynamo_config, name, max(getattr(dynamo_config, name), RECOMPILE_LIMIT))
    modules = tower_modules(model)
    for module in modules:
        module.compile(backend=backend)
    return modules


def uncompile(modules: list[nn.Module]) -> None:
    """Back to eager calls for modules :func:`compile_towers` compiled (torch keeps the
    compiled call in ``_compiled_call_impl``; ``nn.Module`` has no public undo)."""
    for module in modules:
        module._compiled_call_impl = None
