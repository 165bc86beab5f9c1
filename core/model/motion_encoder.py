"""The motion encoder: a ViT over motion patches with a padding mask and a mask token.

Motion (Yu, Tanaka, Fujiwara, "Motion Patches", CVPR 2024, Sec. 3.3): the patch image
``(B, 3, max_frames, 80)`` is cut into 16 x 16 patches (:mod:`.vit`), plus a [CLS] token: 71
tokens at ``MAX_FRAMES`` frames. Padded patch rows (``row_mask`` False) are removed from
attention, so their content never reaches a real token. Backends: transformers' ViT, or timm
(optional).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from motionlex.core.model.vit import (
    build_vit_config,
    import_timm,
    pickle_only_note,
    quiet_transformers,
    resize_position_embeddings,
    row_mask_to_token_mask,
)

if TYPE_CHECKING:
    from motionlex.core.model.config import MotionTextConfig

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class MotionEncoderOutput:
    """Output of :class:`MotionEncoder`.

    Attributes:
        tokens: ``(B, 1 + P, H)`` final hidden states, [CLS] first, then ``P = 70`` patch
            tokens in row-major grid order.
        token_mask: ``(B, 1 + P)`` bool, True for [CLS] and real patch tokens.
    """

    tokens: torch.Tensor
    token_mask: torch.Tensor


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
        from transformers import ViTConfig, ViTModel  # heavy: keeps --help fast

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
            OSError: ``source`` cannot be loaded, or has no ``*.safetensors`` weights (a
                folder of ``pytorch_model.bin`` only is refused, never unpickled, with the
                command that converts it: :func:`~.vit.pickle_only_note`).
            ValueError: the checkpoint's patch size or channel count does not fit.
        """
        from transformers import ViTModel  # heavy: keeps --help fast

        try:
            with quiet_transformers():
                orig = ViTModel.from_pretrained(  # never a pickle .bin
                    source, add_pooling_layer=False, use_safetensors=True)
        except OSError as e:
            note = pickle_only_note(source, "ViTModel")
            raise OSError(f"cannot load pretrained ViT {source!r}: {note}" if note else
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
                other than square; ``pretrained`` a local file that is not ``.safetensors``
                (checked before timm is imported).
        """
        if pretrained not in (None, "hub") and not str(pretrained).endswith(".safetensors"):
            raise ValueError(  # timm would torch.load (unpickle) any other file
                f"timm weights {pretrained}: motionlex reads a local weight file in safetensors "
                "only (a pickle can run code when loaded); give a .safetensors file")
        timm = import_timm()
        kwargs: dict[str, Any] = dict(
            img_size=tuple(image_size), num_classes=0, global_pool="token", drop_rate=dropout
        )
        if pretrained is not None and pretrained != "hub":
            kwargs["pretrained_cfg_overlay"] = dict(file=pretrained)
        model = timm.create_model(name, pretrained=pretrained is not None, **kwargs)
        if getattr(model, "num_prefix_tokens", 1) != 1 or getattr(model, "cls_token", None) is None:
            raise ValueError(f"timm model {name!r} must have exactly one class token")
        ps = model.patch_embed.patch_size
        if isinstance(ps, (tuple, list)):
            if len(set(ps)) != 1:
                raise ValueError(f"timm model {name!r} has a non-square patch size {tuple(ps)}: "
                                 "motion patches need square ones")
            ps = ps[0]
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
        """``(B, 1 + P)`` bool attention mask: [CLS] plus the patches of real patch rows."""
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
            patches: ``(B, 3, max_frames, 80)`` float32, z-scored motion patch images.
            row_mask: ``(B, 14)`` bool, True for a real patch row (16 frames).
            bool_masked_pos: optional ``(B, 70)`` bool, patches replaced by the mask token.

        Returns:
            :class:`MotionEncoderOutput` (tokens ``(B, 71, H)``, token_mask ``(B, 71)``).

        Raises:
            ValueError: shapes that do not match the encoder.
        """
        if patches.ndim != 4:  # the batch size would be read from the channel axis
            raise ValueError(f"patches must be (B, {self.num_channels}, "
                             f"{', '.join(map(str, self.image_size))}) with a batch axis; got "
                             f"{tuple(patches.shape)} (one motion: patches[None], "
                             f"row_mask[None])")
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
        # the mask is passed even when every row is real: asking would make the host wait for
        # the device on a GPU (all-True gives the same attention; no slower on a CPU). In its
        # 4D additive form (0 = may attend, float32 min = padding), which transformers uses
        # as it is (from a 2D mask it would ask the device whether every entry is True) and
        # which every attention kernel adds to the scores: a bool mask would be added as
        # 0/1 by the eager kernels (transformers' "eager", timm's non-fused attention).
        attn = additive_attention_mask(mask, patches.dtype)
        if self.backend == "vit":
            out = self.backbone(pixel_values=patches, attention_mask=attn,
                                bool_masked_pos=bool_masked_pos)
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
        attn_mask = attn
        for blk in m.blocks:
            x = blk(x) if attn_mask is None else blk(x, attn_mask=attn_mask)
        return m.norm(x)


def additive_attention_mask(token_mask: torch.Tensor,
                            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(B, N)`` bool token mask (True = real) -> ``(B, 1, 1, N)`` additive mask.

    0 where a token may be attended, ``dtype``'s minimum where it is padding: the form that
    SDPA, transformers' eager attention and timm's non-fused attention all add to the
    attention scores (a bool mask means "may attend" to SDPA but +1/+0 to the eager kernels).
    ``dtype`` is the patches' (float32, or float16/bfloat16 for a half model: a float32 mask
    would turn half scores into float32 before timm's ``attn @ v``).
    """
    if not dtype.is_floating_point:
        dtype = torch.float32
    out = torch.zeros(token_mask.shape, dtype=dtype, device=token_mask.device)
    return out.masked_fill_(~token_mask, torch.finfo(dtype).min)[:, None, None, :]


def build_motion_encoder(config: MotionTextConfig) -> MotionEncoder:
    """The motion encoder a config asks for (random init, or the pretrained ViT / timm weights).

    Raises:
        ValueError: a pretrained ViT whose (hidden, layers, heads, mlp) differ from the config.
    """
    if config.motion_backend == "timm":
        return MotionEncoder.from_timm(
            config.motion_timm_name,
            image_size=config.image_size,
            pretrained=config.motion_pretrained,
            dropout=config.motion_dropout,
        )
    if config.motion_pretrained:
        enc = MotionEncoder.from_pretrained_vit(
            config.motion_pretrained, image_size=config.image_size, patch_size=config.patch_size
        )
        bc = enc.backbone.config
        got = (bc.hidden_size, bc.num_hidden_layers, bc.num_attention_heads, bc.intermediate_size)
        want = (
            config.motion_hidden_size,
            config.motion_layers,
            config.motion_heads,
            config.motion_intermediate_size,
        )
        if got != want:
            raise ValueError(
                f"pretrained ViT {config.motion_pretrained!r} has (hidden, layers, heads, mlp) "
                f"{got}; the config says {want}"
            )
        return enc
    return MotionEncoder.from_vit_config(
        build_vit_config(
            hidden_size=config.motion_hidden_size,
            num_layers=config.motion_layers,
            num_heads=config.motion_heads,
            intermediate_size=config.motion_intermediate_size,
            image_size=config.image_size,
            patch_size=config.patch_size,
            dropout=config.motion_dropout,
        )
    )
