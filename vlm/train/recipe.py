"""A training recipe: one YAML per stage, read into grouped dataclasses that validate themselves.

Every bad value raises :class:`RecipeError` whose message starts with the field's dotted path
(``data.sources.captions: must be > 0``), and unknown keys are errors too, so a typo in a YAML
names itself instead of being ignored. ``overrides`` (``train.max_steps=4``, values read as
YAML) are applied before validation, so they are checked the same way.

Stages chain by name: ``source: 1_align`` starts from the checkpoint that stage ``1_align`` of
the same model wrote; ``source: base`` starts from ``base`` (``tiny``, a LLaVA-OneVision
checkpoint, or a vision tower and a language model composed with a new projector).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from vlm.errors import VLMError

STAGES = ("1_align", "2_sft", "3_sft_hr", "4_dpo")
PARTS = ("vision", "projector", "llm")
OBJECTIVES = ("sft", "dpo")
SOURCES = ("captions", "instruct", "ocr", "grounding", "text", "pages_hr", "preference")
STRATEGIES = ("none", "fsdp", "deepspeed")
PRECISIONS = ("fp32", "bf16", "fp16")
SCHEDULERS = ("cosine", "linear", "constant", "constant_with_warmup")
DPO_LOSSES = ("sigmoid",)


class RecipeError(VLMError, ValueError):
    """A recipe field is invalid; ``field`` is its dotted path."""

    def __init__(self, path: str, message: str) -> None:
        self.field = path
        super().__init__(f"{path}: {message}")


def _number(path: str, value: Any, *, low: float | None = None, above: float | None = None,
            integer: bool = False) -> None:
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        raise RecipeError(path, f"must be {'an integer' if integer else 'a number'}, got {value!r}")
    if low is not None and value < low:
        raise RecipeError(path, f"must be >= {low}, got {value!r}")
    if above is not None and value <= above:
        raise RecipeError(path, f"must be > {above}, got {value!r}")


def _choice(path: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise RecipeError(path, f"must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(slots=True)
class Compose:
    """Stage 1 from parts: a SigLIP vision tower and a Qwen2 language model (ids or dirs)."""

    vision: str
    language: str


@dataclass(slots=True)
class DataSpec:
    """Where the data is and how it is mixed. ``sources`` maps a source (a JSONL file of the
    synthetic set, or ``name: path.jsonl``) to its weight: the fraction of it drawn per epoch
    (0.5 = half of it, 2 = all of it twice). ``generate`` builds the synthetic set into
    ``root`` when it is missing (``{documents: N, seed: S}``)."""

    root: str = "synth"
    sources: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # extra sources: name -> JSONL path
    generate: dict[str, int] | None = None
    max_image_side: int = 1536
    max_tokens: int = 16384
    pack: bool = False
    eval_items: int = 16
    seed: int = 0

    def validate(self) -> None:
        if not self.sources:
            raise RecipeError("data.sources", "name at least one source")
        for name, weight in self.sources.items():
            if name not in SOURCES and name not in self.files:
                raise RecipeError(f"data.sources.{name}",
                                  f"unknown source; use one of {', '.join(SOURCES)} or add it under data.files")
            _number(f"data.sources.{name}", weight, above=0)
        _number("data.max_image_side", self.max_image_side, low=32, integer=True)
        _number("data.max_tokens", self.max_tokens, low=64, integer=True)
        _number("data.eval_items", self.eval_items, low=0, integer=True)
        if self.generate is not None:
            unknown = set(self.generate) - {"documents", "seed"}
            if unknown:
                raise RecipeError(f"data.generate.{sorted(unknown)[0]}", "unknown key (documents, seed)")
            _number("data.generate.documents", self.generate.get("documents", 24), low=1, integer=True)


@dataclass(slots=True)
class TrainSpec:
    epochs: float = 1.0
    max_steps: int = -1  # > 0 caps the stage; -1 runs the epochs
    batch_size: int = 1
    grad_accum: int = 1
    warmup_ratio: float = 0.03
    scheduler: str = "cosine"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    precision: str = "bf16"
    gradient_checkpointing: bool = False
    save_steps: int = 0  # 0: only the final checkpoint
    log_steps: int = 10
    seed: int = 0

    def validate(self) -> None:
        _number("train.epochs", self.epochs, above=0)
        _number("train.max_steps", self.max_steps, low=-1, integer=True)
        if self.max_steps == 0:
            raise RecipeError("train.max_steps", "must be -1 (run the epochs) or > 0")
        for name in ("batch_size", "grad_accum", "log_steps"):
            _number(f"train.{name}", getattr(self, name), low=1, integer=True)
        _number("train.save_steps", self.save_steps, low=0, integer=True)
        _number("train.warmup_ratio", self.warmup_ratio, low=0)
        if self.warmup_ratio >= 1:
            raise RecipeError("train.warmup_ratio", f"must be < 1, got {self.warmup_ratio}")
        _number("train.weight_decay", self.weight_decay, low=0)
        _number("train.max_grad_norm", self.max_grad_norm, low=0)
        _choice("train.scheduler", self.scheduler, SCHEDULERS)
        _choice("train.precision", self.precision, PRECISIONS)


@dataclass(slots=True)
class LoraSpec:
    """LoRA on the language model (the single-GPU option); merged into the final checkpoint."""

    enabled: bool = False
    r: int = 64
    alpha: int = 128
    dropout: float = 0.05
    targets: list[str] = field(default_factory=lambda: [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])

    def validate(self) -> None:
        _number("lora.r", self.r, low=1, integer=True)
        _number("lora.alpha", self.alpha, low=1, integer=True)
        _number("lora.dropout", self.dropout, low=0)
        if not self.targets:
            raise RecipeError("lora.targets", "name at least one module")


@dataclass(slots=True)
class DistributedSpec:
    """Several GPUs: FSDP (``use_orig_params`` on, since parts are frozen) or DeepSpeed ZeRO-3
    (``deepspeed`` names its JSON, relative to the recipe). Launched by accelerate or torchrun."""

    strategy: str = "none"
    fsdp_wrap: list[str] = field(default_factory=lambda: ["Qwen2DecoderLayer", "SiglipEncoderLayer"])
    deepspeed: str = ""

    def validate(self) -> None:
        _choice("distributed.strategy", self.strategy, STRATEGIES)
        if self.strategy == "deepspeed" and not self.deepspeed:
            raise RecipeError("distributed.deepspeed", "name the DeepSpeed JSON for strategy deepspeed")


@dataclass(slots=True)
class DPOSpec:
    beta: float = 0.1
    loss: str = "sigmoid"

    def validate(self) -> None:
        _number("dpo.beta", self.beta, above=0)
        _choice("dpo.loss", self.loss, DPO_LOSSES)


@dataclass(slots=True)
class Recipe:
    """One stage of the recipe for one model (see the module docstring)."""

    model: str
    stage: str
    source: str
    objective: str
    trainable: list[str]
    lr: dict[str, float]
    data: DataSpec
    base: str | Compose = "tiny"
    train: TrainSpec = field(default_factory=TrainSpec)
    lora: LoraSpec = field(default_factory=LoraSpec)
    distributed: DistributedSpec = field(default_factory=DistributedSpec)
    dpo: DPOSpec = field(default_factory=DPOSpec)
    output: str = ""  # default: <home>/checkpoints/<model>/<stage>
    path: str = ""  # the YAML it came from (relative paths resolve against its folder)

    def validate(self) -> None:
        if not self.model or "/" in self.model:
            raise RecipeError("model", f"must be a plain name (a checkpoints folder), got {self.model!r}")
        _choice("stage", self.stage, STAGES)
        _choice("objective", self.objective, OBJECTIVES)
        if self.source != "base" and self.source not in STAGES and not Path(self.source).is_absolute():
            raise RecipeError("source", f"must be base, a stage ({', '.join(STAGES)}) or an absolute "
                                        f"checkpoint path, got {self.source!r}")
        if self.source == self.stage:
            raise RecipeError("source", "a stage cannot start from itself")
        if not self.trainable:
            raise RecipeError("trainable", f"name at least one of {', '.join(PARTS)}")
        for part in self.trainable:
            _choice("trainable", part, PARTS)
        for part, lr in self.lr.items():
            if part not in self.trainable:
                raise RecipeError(f"lr.{part}", f"is not trainable in this stage ({', '.join(self.trainable)})")
            _number(f"lr.{part}", lr, above=0)
        missing = [p for p in self.trainable if p not in self.lr]
        if missing:
            raise RecipeError(f"lr.{missing[0]}", "every trainable part needs a learning rate")
        if self.objective == "dpo" and self.data.sources.keys() - {"preference"} - self.data.files.keys():
            raise RecipeError("data.sources", "a dpo stage reads preference pairs only")
        if self.objective == "sft" and "preference" in self.data.sources:
            raise RecipeError("data.sources.preference", "preference pairs need objective: dpo")
        if self.lora.enabled and "llm" not in self.trainable:
            raise RecipeError("lora.enabled", "LoRA adapts the language model: make llm trainable")
        for spec in (self.data, self.train, self.lora, self.distributed, self.dpo):
            spec.validate()


_GROUPS = {"data": DataSpec, "train": TrainSpec, "lora": LoraSpec,
           "distributed": DistributedSpec, "dpo": DPOSpec}


def _build(cls: type, raw: Any, path: str) -> Any:
    if not isinstance(raw, dict):
        raise RecipeError(path, f"must be a mapping, got {type(raw).__name__}")
    names = {f.name for f in fields(cls)}
    for key in raw:
        if key not in names:
            raise RecipeError(f"{path}.{key}" if path else str(key), f"unknown field of {cls.__name__}")
    return cls(**raw)


def _apply(raw: dict[str, Any], override: str) -> None:
    key, sep, value = override.partition("=")
    if not sep or not key.strip():
        raise RecipeError(override, "an override is key.path=value")
    parts = key.strip().split(".")
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise RecipeError(key, f"{part} is not a group")
    node[parts[-1]] = _scalar(yaml.safe_load(value))


def _scalar(value: Any) -> Any:
    """YAML 1.1 reads ``3e-3`` (no dot) as a string: take it as the number it means."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def recipe_from_dict(raw: dict[str, Any], path: str = "") -> Recipe:
    """Build and validate a recipe from its YAML mapping."""
    raw = dict(raw)
    required = ("model", "stage", "source", "objective", "trainable", "lr", "data")
    for key in required:
        if key not in raw:
            raise RecipeError(key, "is required")
    groups = {name: _build(cls, raw.pop(name), name) for name, cls in _GROUPS.items() if name in raw}
    base = raw.pop("base", "tiny")
    if isinstance(base, dict):
        base = _build(Compose, base, "base")
    elif not isinstance(base, str):
        raise RecipeError("base", "must be a name, a checkpoint, or {vision, language}")
    recipe = _build(Recipe, {**raw, **groups, "base": base, "path": path}, "")
    if not isinstance(recipe.trainable, list):
        raise RecipeError("trainable", "must be a list of parts")
    if not isinstance(recipe.lr, dict):
        raise RecipeError("lr", "must map each trainable part to a learning rate")
    recipe.validate()
    return recipe


def load_recipe(path: Path, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    """Read, override and validate a recipe YAML."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError("recipe", f"{path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RecipeError("recipe", f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise RecipeError("recipe", f"{path} must hold a mapping")
    for override in overrides:
        _apply(raw, override)
    return recipe_from_dict(raw, str(path.resolve()))


def stage_dir(home: Path, model: str, stage: str) -> Path:
    """Where stage ``stage`` of ``model`` writes its checkpoint (and the next stage finds it)."""
    return Path(home) / "checkpoints" / model / stage


def output_dir(recipe: Recipe, home: Path) -> Path:
    return Path(recipe.output).expanduser() if recipe.output else stage_dir(home, recipe.model, recipe.stage)


def resolve_relative(recipe: Recipe, value: str) -> Path:
    """A path named in the recipe, relative to the recipe's folder unless absolute."""
    p = Path(value).expanduser()
    return p if p.is_absolute() or not recipe.path else Path(recipe.path).parent / p
