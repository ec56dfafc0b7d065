"""Stage checkpoints: where a stage starts from, and what it writes.

A stage directory (``<home>/checkpoints/<model>/<stage>/``) is a plain ``from_pretrained``
checkpoint (model, processor, generation config) plus ``docagent_stage.json``, which says what
made it: the recipe, the stage, the source checkpoint (and that one's record), the data hash,
the steps and losses. Intermediate trainer states (optimizer, scheduler, RNG) live under
``trainer/`` in it while the stage runs, which is what ``--resume`` continues from.

``source: base`` resolves the recipe's ``base``: ``tiny`` (built once, by seed), a LLaVA-OneVision
checkpoint (a directory or hub id), or :class:`Compose`: a SigLIP tower and a Qwen2 language
model joined by a new, randomly initialised projector (what stage 1 aligns).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vlm.errors import VLMError
from vlm.train.recipe import Compose, Recipe, stage_dir

STAGE_FILE = "docagent_stage.json"


class SourceError(VLMError, FileNotFoundError):
    """The checkpoint a stage starts from is missing."""


def read_stage(path: Path) -> dict[str, Any] | None:
    """A checkpoint's stage record, or ``None`` when it was not written by a stage."""
    f = Path(path) / STAGE_FILE
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def resolve_source(recipe: Recipe, home: Path) -> str:
    """The checkpoint (a directory or a hub id) this stage starts from, built if it is the
    tiny or a composed base and not built yet."""
    if recipe.source in ("base",):
        return _base(recipe, home)
    if Path(recipe.source).is_absolute():
        path = Path(recipe.source)
    else:
        path = stage_dir(home, recipe.model, recipe.source)
    if read_stage(path) is None:
        raise SourceError(
            f"source: stage {recipe.source!r} of {recipe.model!r} has no checkpoint at {path}; "
            f"train it first (docagent train --recipe <its {recipe.source}.yaml>)")
    return str(path)


def _base(recipe: Recipe, home: Path) -> str:
    out = stage_dir(home, recipe.model, "base")
    if isinstance(recipe.base, Compose):
        if not (out / "config.json").is_file():
            compose_base(recipe.base, out)
        return str(out)
    if recipe.base == "tiny":
        if not (out / "config.json").is_file():
            from vlm.tiny import build_tiny_checkpoint

            build_tiny_checkpoint(out, seed=recipe.train.seed)
        return str(out)
    return recipe.base


def compose_base(parts: Compose, out: Path) -> Path:
    """Join a pretrained SigLIP vision tower and a Qwen2 chat model into a LLaVA-OneVision
    checkpoint with a fresh projector and ``image_newline``; VARCO's tokens are added to the
    language model's tokenizer (embeddings resized) and their ids written into the config."""
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        LlavaOnevisionForConditionalGeneration,
        SiglipVisionModel,
    )

    from vlm.architecture import TextSizes, VisionSizes, llava_onevision_config
    from vlm.tiny import (
        ADDED_TOKENS,
        CHAT_TEMPLATE,
        build_processor,
        save_config,
        write_processor_files,
    )
    from vlm.tokens import IM_END, IMAGE

    vision = SiglipVisionModel.from_pretrained(parts.vision, dtype=torch.float32)
    language = AutoModelForCausalLM.from_pretrained(parts.language, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(parts.language)
    tokenizer.add_special_tokens({"additional_special_tokens": [t for t in ADDED_TOKENS
                                                                if t not in tokenizer.get_vocab()]})
    tokenizer.chat_template = CHAT_TEMPLATE
    vc, tc = vision.config, language.config
    rows = max(tc.vocab_size, -(-len(tokenizer) // 64) * 64)
    # HF LLaVA-OneVision checkpoints drop SigLIP's last layer and read the last hidden state
    # (the penultimate layer's output); do the same, so the composed model matches them.
    keep = vc.num_hidden_layers - 1
    vsizes = VisionSizes(vc.hidden_size, keep, vc.num_attention_heads,
                         vc.intermediate_size, vc.patch_size, vc.image_size)
    tsizes = TextSizes(tc.hidden_size, tc.num_hidden_layers, tc.num_attention_heads,
                       tc.num_key_value_heads, tc.intermediate_size, rows,
                       rope_theta=getattr(tc, "rope_theta", None) or 1_000_000.0,
                       max_position_embeddings=tc.max_position_embeddings, rms_norm_eps=tc.rms_norm_eps)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in (IMAGE, "<video>", IM_END)}
    config = llava_onevision_config(vsizes, tsizes, image_token_index=ids[IMAGE],
                                    video_token_index=ids["<video>"], eos_token_id=ids[IM_END],
                                    pad_token_id=tokenizer.pad_token_id)
    model = LlavaOnevisionForConditionalGeneration(config)
    dropped = f"encoder.layers.{keep}."
    model.model.vision_tower.load_state_dict(
        {k: v for k, v in vision.state_dict().items() if dropped not in k})
    language.resize_token_embeddings(rows)
    model.model.language_model.load_state_dict(language.model.state_dict())
    model.lm_head.load_state_dict(language.lm_head.state_dict())
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    save_config(model.config, out)
    write_processor_files(build_processor(tokenizer, vsizes, config.image_grid_pinpoints), out)
    return out


def write_stage(out: Path, model: Any, processor: Any, record: dict[str, Any]) -> None:
    """Save a finished stage so ``from_pretrained`` (and the transformers backend) loads it."""
    from vlm.tiny import save_config, write_processor_files

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    save_config(model.config, out)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(out)
    write_processor_files(processor, out)
    (out / STAGE_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def last_trainer_checkpoint(out: Path) -> str | None:
    """The newest ``trainer/checkpoint-N`` of an interrupted stage, for ``--resume``."""
    found = sorted((out / "trainer").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(found[-1]) if found else None
