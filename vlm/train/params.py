"""Which parameters a stage trains, and their optimizer groups, by module name.

Parts (VLM_NOTES.md): ``projector`` = ``multi_modal_projector``; ``vision`` = ``vision_tower``;
``llm`` = ``language_model`` + ``lm_head`` + ``image_newline``. TRL and transformers have no
per-module learning rate, so the groups are built here and handed to the optimizer.

Some vision parameters never get a gradient, whatever the stage: LLaVA-OneVision takes the
features of ``hidden_states[vision_feature_layer]``, before SigLIP's ``post_layernorm``, so that
norm (and, with ``vision_feature_layer=-2``, the last encoder layer) is outside the graph.
They are frozen in every stage and listed, so "trainable changed, frozen did not" is exact.
"""

from __future__ import annotations

import re
from typing import Any

PART_PATTERNS: dict[str, re.Pattern[str]] = {
    "projector": re.compile(r"(^|\.)multi_modal_projector\."),
    "vision": re.compile(r"(^|\.)vision_tower\."),
    "llm": re.compile(r"(^|\.)(language_model\.|lm_head\.|image_newline$)"),
}
_NO_DECAY = re.compile(r"(bias$|norm|image_newline$|embed)", re.IGNORECASE)


def part_of(name: str) -> str:
    """The part a parameter belongs to (its name as ``named_parameters`` gives it)."""
    for part, pattern in PART_PATTERNS.items():
        if pattern.search(name):
            return part
    raise ValueError(f"parameter {name!r} belongs to no part (vision, projector, llm)")


def unreachable_vision_parameters(model: Any) -> list[str]:
    """Vision parameters outside the graph: ``post_layernorm`` and encoder layers after the
    feature layer (``vision_feature_layer=-2`` drops the last one)."""
    layer = model.config.vision_feature_layer
    layers = model.config.vision_config.num_hidden_layers
    # hidden_states has layers + 1 entries (the embeddings first); index -k is layer output layers-k+1
    used = (layer % (layers + 1)) if isinstance(layer, int) else layers
    out = []
    for name, _ in model.named_parameters():
        if not PART_PATTERNS["vision"].search(name):
            continue
        if ".post_layernorm." in name or ".head." in name:
            out.append(name)
            continue
        m = re.search(r"\.encoder\.layers\.(\d+)\.", name)
        if m and int(m.group(1)) >= used:
            out.append(name)
    return out


def set_trainable(model: Any, parts: list[str]) -> dict[str, list[str]]:
    """Freeze everything but ``parts`` (and the unreachable vision parameters); returns the
    names of the trainable parameters per part."""
    unreachable = set(unreachable_vision_parameters(model))
    trainable: dict[str, list[str]] = {p: [] for p in parts}
    for name, param in model.named_parameters():
        part = part_of(name)
        on = part in parts and name not in unreachable
        param.requires_grad_(on)
        if on:
            trainable[part].append(name)
    return trainable


def param_groups(model: Any, lr: dict[str, float], weight_decay: float) -> list[dict[str, Any]]:
    """Optimizer groups: one per trainable part and decay class, each with its part's lr.
    Only parameters with ``requires_grad`` are included (LoRA adapters count as ``llm``)."""
    groups: dict[tuple[str, bool], list[Any]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        part = part_of(name)
        decay = weight_decay > 0 and param.ndim >= 2 and not _NO_DECAY.search(name)
        groups.setdefault((part, decay), []).append(param)
    out = []
    for (part, decay), params in sorted(groups.items()):
        if part not in lr:
            raise ValueError(f"parameters of {part!r} are trainable but the recipe gives no lr.{part}")
        out.append({"params": params, "lr": lr[part], "weight_decay": weight_decay if decay else 0.0,
                    "part": part})
    return out


def count_parameters(model: Any) -> dict[str, int]:
    """Parameters per part and how many of them train."""
    out: dict[str, int] = {}
    for name, param in model.named_parameters():
        part = part_of(name)
        out[part] = out.get(part, 0) + param.numel()
        if param.requires_grad:
            out["trainable"] = out.get("trainable", 0) + param.numel()
    return out
