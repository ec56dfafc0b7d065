"""Losses as small pure functions: per-sequence log-probabilities and DPO's sigmoid loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vlm.train.collator import IGNORE


def sequence_logps(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of log p(label) over each row's labelled tokens; logits ``(B, T, V)`` predict the
    next token, so position ``t`` scores ``labels[:, t + 1]``. Returns ``(B,)``."""
    logits = logits[:, :-1].float()
    target = labels[:, 1:]
    keep = target != IGNORE
    logp = torch.gather(F.log_softmax(logits, dim=-1), 2, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (logp * keep).sum(-1)


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor,
             ref_chosen: torch.Tensor, ref_rejected: torch.Tensor,
             beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """DPO (Rafailov et al. 2023), sigmoid form: ``-log σ(β[(πc − rc) − (πr − rr)])``, mean
    over pairs. Returns the loss and the implicit reward margin per pair. When the policy is
    the reference (step 0) the margin is 0 and the loss is ln 2."""
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return -F.logsigmoid(margin).mean(), margin.detach()


def token_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Summed next-token cross-entropy over labelled tokens, and how many there were (the
    caller divides, so packed and padded batches weight every token the same)."""
    logits = logits[:, :-1].float()
    target = labels[:, 1:]
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                            ignore_index=IGNORE, reduction="sum")
    return total, int((target != IGNORE).sum())
