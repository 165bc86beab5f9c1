"""Synthetic inputs of the GPU benchmark (benchmarks/gpu.py): random-init models of the papers'
shapes, template captions with their CAR negatives, patch-image batches and joint sequences.

Throughput does not depend on the weights or the data, so nothing here needs the hub, data
files or spaCy. ``gpu.py`` imports this module after its ``ensure_motionlex`` has made
``motionlex`` importable (from a plain checkout too).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.factory import model_config
from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import TextEncoder
from motionlex.core.motion.skeleton import SMPL22

VOCAB = 30522
# random-init text towers: (transformers config dict, overrides recorded in text_random_init)
TEXT_TOWERS = {
    "paper-base": {"model_type": "distilbert", "vocab_size": VOCAB, "dim": 768, "n_layers": 6,
                   "n_heads": 12, "hidden_dim": 3072},
    "cpu-small": {"model_type": "bert", "vocab_size": VOCAB, "hidden_size": 384,
                  "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
}
SMOKE_TEXT = {"distilbert": {"dim": 64, "n_layers": 2, "n_heads": 2, "hidden_dim": 128},
              "bert": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "intermediate_size": 128}}
SMOKE_MOTION = {"motion_hidden_size": 64, "motion_layers": 2, "motion_heads": 2,
                "motion_intermediate_size": 128}

SUBJECTS = ["a person", "someone", "a man", "a woman", "the figure", "a dancer", "the actor"]
ACTIONS = [
    "walks forward", "walks backwards", "jumps twice", "jumps in place", "waves the left hand",
    "waves the right hand", "sits down", "stands up", "turns around clockwise",
    "turns counterclockwise", "kicks with the right leg", "kicks with the left foot",
    "raises both arms", "lowers the arms", "crouches low", "runs in a circle",
    "steps to the left", "steps to the right", "bows", "throws a ball", "stumbles backwards",
    "dances", "climbs stairs", "claps the hands", "spins around", "squats", "stretches",
    "punches forward", "hops on one foot", "looks over the shoulder", "picks something up",
    "lies down", "crawls on the floor", "does a cartwheel", "salutes", "shrugs",
]
MANNERS = ["", "", "slowly", "quickly", "carefully", "with energy", "while looking up"]


def caption_batch(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[int]]:
    """``n`` distinct captions, CAR negatives (events of multi-event captions shuffled by
    string: no spaCy) and the row each negative belongs to."""
    texts, events_of, seen = [], [], set()
    while len(texts) < n:
        subject = SUBJECTS[rng.integers(len(SUBJECTS))]
        k = 1 if rng.random() < 0.5 else int(rng.integers(2, 4))
        events = []
        for _ in range(k):
            manner = MANNERS[rng.integers(len(MANNERS))]
            events.append(f"{ACTIONS[rng.integers(len(ACTIONS))]} {manner}".strip())
        text = f"{subject} " + ", then ".join(events)
        if text not in seen and len(set(events)) == len(events):
            seen.add(text)
            texts.append(text)
            events_of.append((subject, events))
    negatives, owner = [], []
    for row, (subject, events) in enumerate(events_of):
        if len(events) < 2:
            continue
        order = list(range(len(events)))
        while order == sorted(order):
            rng.shuffle(order)
        negatives.append(f"{subject} " + ", then ".join(events[i] for i in order))
        owner.append(row)
    return texts, negatives, owner


def build_model(name: str, tokenizer, device: torch.device, smoke: bool) -> MotionTextModel:
    """A random-init model of the registered config's shapes (no hub, no pretrained files)."""
    tower = dict(TEXT_TOWERS[name])
    motion = {}
    if smoke:
        tower.update(SMOKE_TEXT[tower["model_type"]])
        motion = dict(SMOKE_MOTION)
    overrides = {k: v for k, v in tower.items() if k != "model_type"}
    cfg: MotionTextConfig = dataclasses.replace(
        model_config(name), motion_pretrained=None, text_pretrained=False,
        text_random_init=overrides, **motion,
    )
    text = TextEncoder.from_config_dict(tower, tokenizer, max_length=cfg.max_text_length)
    return MotionTextModel(cfg, text=text).to(device)


def synthetic_batch(rng: np.random.Generator, batch: int, cfg: MotionTextConfig,
                    device: torch.device) -> dict:
    """Patch images with padded (zero) rows beyond each clip's 60-224 frames, captions."""
    frames = rng.integers(60, cfg.max_frames + 1, batch)
    rows = cfg.max_frames // cfg.patch_size
    row_mask = torch.arange(rows)[None, :] < torch.as_tensor(-(-frames // cfg.patch_size))[:, None]
    real = torch.arange(cfg.max_frames)[None, :] < torch.as_tensor(frames)[:, None]  # (B, T)
    patches = torch.randn(batch, 3, cfg.max_frames, cfg.image_size[1]) * real[:, None, :, None]
    texts, negatives, owner = caption_batch(rng, batch)
    return {"patches": patches.to(device), "row_mask": row_mask.to(device), "texts": texts,
            "negative_texts": negatives, "negative_owner": torch.as_tensor(owner)}


def random_walk_motions(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, object]]:
    """``n`` SMPL-22 joint sequences (T in [60, 224], metres): a rest pose plus random walks."""
    rest = np.array([[0, 0.9, 0]], np.float32) + 0.25 * rng.standard_normal((22, 3)).astype(
        np.float32)
    out = []
    for t in rng.integers(60, 225, n):
        steps = 0.01 * rng.standard_normal((int(t), 22, 3)).astype(np.float32)
        out.append((rest + np.cumsum(steps, axis=0), SMPL22))
    return out
