"""The losses against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from vlm.train.losses import dpo_loss, sequence_logps, token_loss


def test_dpo_loss_by_hand() -> None:
    # margin = 0.1 * ((-1 - -1.5) - (-2 - -1.5)) = 0.1 * (0.5 + 0.5) = 0.1
    # loss = -log sigmoid(0.1) = log(1 + e^-0.1) = 0.644397
    loss, margin = dpo_loss(torch.tensor([-1.0]), torch.tensor([-2.0]),
                            torch.tensor([-1.5]), torch.tensor([-1.5]), beta=0.1)
    assert margin.item() == pytest.approx(0.1)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-0.1)), abs=1e-6)
    assert loss.item() == pytest.approx(0.644397, abs=1e-6)


def test_dpo_loss_is_ln2_when_policy_is_reference() -> None:
    pc, pr = torch.tensor([-3.2, -7.0]), torch.tensor([-4.1, -2.5])
    loss, margin = dpo_loss(pc, pr, pc.clone(), pr.clone(), beta=0.1)
    assert loss.item() == pytest.approx(math.log(2), abs=1e-7)
    assert margin.abs().max().item() == 0.0


def test_dpo_loss_mean_over_pairs() -> None:
    # pair 1 margin 0.5*((0)-(-2)) = 1 -> log(1+e^-1) = 0.313262; pair 2 margin -1 -> 1.313262
    loss, _ = dpo_loss(torch.tensor([0.0, -2.0]), torch.tensor([-2.0, 0.0]),
                       torch.zeros(2), torch.zeros(2), beta=0.5)
    assert loss.item() == pytest.approx((0.313262 + 1.313262) / 2, abs=1e-6)


def test_sequence_logps_sum_labelled_next_tokens() -> None:
    # vocab 2; logits at t=0 are (0, ln 3): p(token 1) = 3/4; at t=1 uniform: p = 1/2.
    logits = torch.tensor([[[0.0, math.log(3)], [0.0, 0.0], [5.0, 5.0]]])
    labels = torch.tensor([[-100, 1, 0]])
    assert sequence_logps(logits, labels).item() == pytest.approx(math.log(0.75) + math.log(0.5))
    labels_masked = torch.tensor([[-100, 1, -100]])
    assert sequence_logps(logits, labels_masked).item() == pytest.approx(math.log(0.75))


def test_token_loss_counts_only_labels() -> None:
    logits = torch.tensor([[[0.0, math.log(3)], [0.0, 0.0], [1.0, 2.0]]])
    total, n = token_loss(logits, torch.tensor([[-100, 1, 0]]))
    assert n == 2
    assert total.item() == pytest.approx(-(math.log(0.75) + math.log(0.5)))
