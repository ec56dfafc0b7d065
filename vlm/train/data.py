"""Training samples: the recipe's sources read, mixed by weight, sized, and rendered as ChatML.

A source is a JSONL file of ``vlm.synth.records`` (conversations, or preference pairs for
DPO). Its weight is the fraction of it drawn per epoch (0.5 = half, 2 = all of it twice),
drawn by the recipe's seed, so a mixture is reproducible and its hash goes into the checkpoint.

Samples longer than ``max_tokens`` are dropped, counted and reported, never truncated: a cut
through the image tokens fails in the model ("Image features and image tokens do not match"),
and a cut answer teaches the model to stop mid-sentence. Lengths are computed without running
the processor: text tokens from the tokenizer, image tokens from the AnyRes arithmetic.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from vlm.architecture import num_image_tokens
from vlm.synth.records import (
    Conversation,
    Preference,
    Turn,
    conversation_from_json,
    preference_from_json,
    read_jsonl,
)
from vlm.tokens import IM_END, IM_START, IMAGE

ROLES = {"human": "user", "gpt": "assistant"}


def chatml(turns: list[Turn], generation_prompt: bool = False) -> str:
    """The conversation as VARCO's ChatML (no system prompt; images stay as ``<image>``)."""
    text = "".join(f"{IM_START}{ROLES[t.role]}\n{t.value}{IM_END}\n" for t in turns)
    return text + (f"{IM_START}assistant\n" if generation_prompt else "")


@dataclass(slots=True)
class Sample:
    """One training example: the ChatML text(s), the image file and the token count."""

    id: str
    source: str
    text: str  # sft: the whole conversation; dpo: prompt + chosen
    image: Path | None
    tokens: int
    rejected_text: str = ""  # dpo: prompt + rejected

    def load_image(self, max_side: int) -> Image.Image | None:
        if self.image is None:
            return None
        with Image.open(self.image) as im:
            im = im.convert("RGB")
            scale = max_side / max(im.size)
            if scale < 1:
                im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                               Image.Resampling.BICUBIC)
            return im


@dataclass(slots=True)
class Mixture:
    samples: list[Sample]
    held_out: list[Sample]
    dropped: dict[str, int] = field(default_factory=dict)  # source -> samples over max_tokens
    per_source: dict[str, int] = field(default_factory=dict)
    data_hash: str = ""


def _records(path: Path, dpo: bool) -> list[Conversation | Preference]:
    if not path.is_file():
        raise FileNotFoundError(f"training source {path} does not exist")
    parse = preference_from_json if dpo else conversation_from_json
    return [parse(obj, where) for where, obj in read_jsonl(path)]


def _image_path(root: Path, rec: Conversation | Preference) -> Path | None:
    if rec.image is None:
        return None
    path = root / rec.image
    if not path.is_file():
        raise FileNotFoundError(f"{rec.id}: image {path} does not exist")
    return path


class Sizer:
    """Token counts: text by the tokenizer, images by the AnyRes arithmetic of the config."""

    def __init__(self, tokenizer: Any, model_config: Any, max_side: int) -> None:
        self.tokenizer = tokenizer
        self.config = model_config
        self.max_side = max_side

    def image_tokens(self, path: Path | None) -> int:
        if path is None:
            return 0
        with Image.open(path) as im:
            w, h = im.size
        scale = min(1.0, self.max_side / max(w, h))
        return num_image_tokens(max(1, round(h * scale)), max(1, round(w * scale)), self.config)

    def text_tokens(self, text: str) -> int:
        return len(self.tokenizer(text.replace(IMAGE, ""), add_special_tokens=False)["input_ids"]) + 1


def _sample(rec: Conversation | Preference, source: str, root: Path, sizer: Sizer) -> Sample:
    image = _image_path(root, rec)
    if isinstance(rec, Preference):
        text = chatml(rec.prompt, generation_prompt=True) + rec.chosen + IM_END + "\n"
        rejected = chatml(rec.prompt, generation_prompt=True) + rec.rejected + IM_END + "\n"
        longest = max(sizer.text_tokens(text), sizer.text_tokens(rejected))
    else:
        text, rejected = chatml(rec.turns), ""
        longest = sizer.text_tokens(text)
    return Sample(rec.id, source, text, image, longest + sizer.image_tokens(image), rejected)


def _draw(items: list[Any], weight: float, rng: random.Random) -> list[Any]:
    whole, part = divmod(weight, 1.0)
    out = list(items) * int(whole)
    out += rng.sample(items, round(part * len(items)))
    return out


def build_mixture(paths: dict[str, Path], weights: dict[str, float], sizer: Sizer, *,
                  max_tokens: int, dpo: bool, held_out: int, seed: int) -> Mixture:
    """Read every source, hold out ``held_out`` samples (spread over the sources) for the
    before/after loss, draw the rest by weight and shuffle."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    mix = Mixture([], [])
    pools: dict[str, list[Sample]] = {}
    for name in sorted(weights):
        path = paths[name]
        digest.update(name.encode() + path.read_bytes())
        samples = []
        for rec in _records(path, dpo):
            s = _sample(rec, name, path.parent, sizer)
            if s.tokens > max_tokens:
                mix.dropped[name] = mix.dropped.get(name, 0) + 1
                continue
            samples.append(s)
        if not samples:
            raise ValueError(f"source {name!r} ({path}) has no sample within {max_tokens} tokens")
        rng.shuffle(samples)
        pools[name] = samples
    per = -(-held_out // len(pools)) if held_out else 0
    for name, samples in pools.items():
        keep = min(per, len(samples) - 1)
        mix.held_out += samples[:keep]
        drawn = _draw(samples[keep:], weights[name], rng)
        mix.per_source[name] = len(drawn)
        mix.samples += drawn
    mix.held_out = mix.held_out[:held_out]
    rng.shuffle(mix.samples)
    digest.update(repr(sorted(weights.items())).encode() + str(seed).encode())
    mix.data_hash = digest.hexdigest()[:16]
    return mix
