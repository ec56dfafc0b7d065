"""Run one stage of the recipe: load the source, freeze, mix the data, train, write the stage.

The loop is transformers' ``Trainer`` (gradient accumulation, bf16, FSDP / DeepSpeed through
accelerate, checkpoints and resume), with three things of ours: the optimizer's parameter
groups by part (per-part learning rates), the loss (the model's own token loss for SFT, DPO's
sigmoid loss against a frozen reference for preference pairs), and a zero-weighted pass of
the vision tower and projector on batches without images, so every trainable parameter is in
every step's graph (under ZeRO-3 or FSDP a rank whose batch skips them waits forever for the
others' gather).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainingArguments

from vlm.train.collator import Collator
from vlm.train.data import Mixture
from vlm.train.losses import dpo_loss, sequence_logps
from vlm.train.params import param_groups
from vlm.train.recipe import Recipe


class StageTrainer(Trainer):
    """``Trainer`` with per-part learning rates, the DPO objective and the vision keep-alive."""

    def __init__(self, *args: Any, recipe: Recipe, reference: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipe = recipe
        self.reference = reference

    def create_optimizer(self, model: Any = None) -> Any:  # noqa: ARG002 - Trainer's signature
        if self.optimizer is None:
            groups = param_groups(self.model, self.recipe.lr, self.recipe.train.weight_decay)
            for g in groups:
                g.pop("part")
            self.optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8)
        return self.optimizer

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:
        """Resume's weights through ``from_pretrained``: checkpoints store LLaVA-OneVision under
        its on-disk names (``language_model.model.layers...``), which ``Trainer``'s non-strict
        ``load_state_dict`` silently matches to nothing, restarting from the source weights."""
        target = model or self.model
        if self.is_fsdp_enabled or self.is_deepspeed_enabled or hasattr(target, "peft_config"):
            super()._load_from_checkpoint(resume_from_checkpoint, model)
            return
        dtype = next(target.parameters()).dtype
        saved = type(target).from_pretrained(resume_from_checkpoint, dtype=dtype)
        target.load_state_dict(saved.state_dict(), strict=True)

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        if self.recipe.objective == "dpo":
            loss, _ = dpo_step(model, self.reference, inputs, self.recipe.dpo.beta)
            return (loss, None) if return_outputs else loss
        outputs = model(**inputs, use_cache=False)
        loss = outputs.loss
        if "pixel_values" not in inputs:
            loss = loss + vision_keepalive(model)
        return (loss, outputs) if return_outputs else loss


def _core(model: Any) -> Any:
    """The LlavaOnevisionModel inside a (PEFT-wrapped, DDP-wrapped) model."""
    while not hasattr(model, "multi_modal_projector"):
        model = model.module if hasattr(model, "module") else (
            model.base_model if hasattr(model, "base_model") and model.base_model is not model else model.model)
    return model


def vision_keepalive(model: Any) -> torch.Tensor:
    """0 × (projected features of one blank tile + ``image_newline``): a zero added to the
    loss that puts the vision tower, projector and newline into the graph of a text-only batch."""
    core = _core(model)
    tower = core.vision_tower
    size = tower.config.image_size
    param = next(tower.parameters())
    blank = torch.zeros((1, 3, size, size), dtype=param.dtype, device=param.device)
    feats = tower(blank).last_hidden_state
    return (core.multi_modal_projector(feats).sum() + core.image_newline.sum()) * 0.0


def _split_logps(model: Any, inputs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    labels = inputs["labels"]
    fwd = {k: v for k, v in inputs.items() if k != "labels"}
    logits = model(**fwd, use_cache=False).logits
    logps = sequence_logps(logits, labels)
    half = labels.shape[0] // 2
    return logps[:half], logps[half:]


def dpo_step(model: Any, reference: Any, inputs: dict[str, Any], beta: float
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """DPO loss of a batch (chosen rows, then rejected rows) and the reward margins. With
    ``reference=None`` the policy with its LoRA adapters off is the reference."""
    pc, pr = _split_logps(model, inputs)
    with torch.no_grad():
        if reference is not None:
            rc, rr = _split_logps(reference, inputs)
        else:
            with model.disable_adapter():
                rc, rr = _split_logps(model, inputs)
    return dpo_loss(pc, pr, rc, rr, beta)


@torch.no_grad()
def held_out_loss(model: Any, reference: Any, collator: Collator, mix: Mixture, recipe: Recipe,
                  batch_size: int = 2) -> dict[str, float]:
    """Mean loss on the held-out samples (token-weighted for SFT; per pair for DPO, with the
    share of pairs whose chosen reply the model prefers)."""
    if not mix.held_out:
        return {}
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, count, wins = 0.0, 0, 0
    for i in range(0, len(mix.held_out), batch_size):
        batch = {k: v.to(device) if hasattr(v, "to") else v
                 for k, v in collator(mix.held_out[i:i + batch_size]).items()}
        if recipe.objective == "dpo":
            loss, margin = dpo_step(model, reference, batch, recipe.dpo.beta)
            total += float(loss) * len(margin)
            count += len(margin)
            wins += int((margin > 0).sum())
        else:
            n = int((batch["labels"][:, 1:] != -100).sum())
            total += float(model(**batch, use_cache=False).loss) * n
            count += n
    model.train(was_training)
    out = {"loss": total / max(count, 1)}
    if recipe.objective == "dpo":
        out["preference_accuracy"] = wins / max(count, 1)
    return out


def training_arguments(recipe: Recipe, out: Path, n_samples: int, world: int = 1) -> TrainingArguments:
    """``TrainingArguments`` from the recipe (warmup as steps from the ratio)."""
    t = recipe.train
    steps_per_epoch = math.ceil(n_samples / (t.batch_size * t.grad_accum * world))
    total = t.max_steps if t.max_steps > 0 else math.ceil(steps_per_epoch * t.epochs)
    kwargs: dict[str, Any] = {"activation_checkpointing": t.gradient_checkpointing}
    d = recipe.distributed
    if d.strategy == "fsdp":
        # use_orig_params: frozen and trainable parameters share FSDP's flat buffers; FSDP's own
        # activation checkpointing (the Trainer's would add an all-gather in the backward)
        kwargs = {"fsdp": True, "fsdp_config": {
            "use_orig_params": True, "transformer_layer_cls_to_wrap": d.fsdp_wrap,
            "activation_checkpointing": t.gradient_checkpointing}}
    elif d.strategy == "deepspeed":
        import importlib.util

        from vlm.train.recipe import RecipeError, resolve_relative

        if importlib.util.find_spec("deepspeed") is None:
            raise RecipeError("distributed.strategy", "deepspeed is not installed: pip install deepspeed, "
                                                      "or use distributed.strategy=fsdp")
        kwargs["deepspeed"] = str(resolve_relative(recipe, d.deepspeed))
    return TrainingArguments(
        output_dir=str(out / "trainer"),
        per_device_train_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=max(recipe.lr.values()),  # unused: the groups carry their own
        lr_scheduler_type=t.scheduler,
        warmup_steps=max(0, round(t.warmup_ratio * total)),
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        bf16=t.precision == "bf16",
        fp16=t.precision == "fp16",
        logging_steps=t.log_steps,
        save_strategy="steps" if t.save_steps else "no",
        save_steps=t.save_steps or 500,
        seed=t.seed,
        data_seed=t.seed,
        remove_unused_columns=False,
        # The mixture is shuffled once by the recipe's seed and read in order, so a resumed
        # stage sees exactly the batches the uninterrupted one would have.
        train_sampling_strategy="sequential",
        dataloader_num_workers=0,
        report_to="none",
        use_cpu=not torch.cuda.is_available(),
        disable_tqdm=False,
        **kwargs,
    )


@dataclass(slots=True)
class TrainOutcome:
    steps: int
    train_loss: float
    seconds: float
    log: list[dict[str, float]]


def fit(model: Any, processor: Any, recipe: Recipe, mix: Mixture, collator: Collator, out: Path,
        *, resume: str | None, reference: Any = None, callbacks: list[Any] | None = None) -> TrainOutcome:
    """Train ``model`` on the mixture as the recipe says; returns steps, loss and the log."""
    world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    args = training_arguments(recipe, out, len(mix.samples), world)
    trainer = StageTrainer(model=model, args=args, data_collator=collator,
                           train_dataset=_ListDataset(mix.samples), processing_class=processor,
                           recipe=recipe, reference=reference, callbacks=callbacks)
    if reference is not None:
        trainer.reference = reference.to(trainer.args.device)
    start = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume)
    log = [{k: float(v) for k, v in e.items() if isinstance(v, int | float)}
           for e in trainer.state.log_history]
    return TrainOutcome(result.global_step, float(result.training_loss), time.perf_counter() - start, log)


class _ListDataset(torch.utils.data.Dataset):
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]


def frozen_reference(model: Any) -> Any:
    """A frozen copy of the starting policy (DPO without LoRA)."""
    ref = copy.deepcopy(model).eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    return ref
