"""On CUDA: one stage-1 and one LoRA stage-3 step at the 14B's widths (2 language layers)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.gpu


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("stage", ["1_align", "3_sft_hr"])
def test_a_step_at_14b_width_on_the_gpu(tmp_path: Path, stage: str) -> None:
    from transformers import AutoProcessor, LlavaOnevisionForConditionalGeneration

    from bench.train_throughput import make_batch, measure, prepare
    from bench.vlm_throughput import materialize
    from vlm.architecture import VARCO_14B_TEXT, VARCO_14B_VISION
    from vlm.tiny import write_config_only_checkpoint

    path = write_config_only_checkpoint(tmp_path / "m", VARCO_14B_VISION, replace(VARCO_14B_TEXT, num_layers=2))
    config = LlavaOnevisionForConditionalGeneration.config_class.from_pretrained(path)
    model = materialize(config, "cuda", torch.bfloat16).train()
    model, opt = prepare(model, stage, "varco-14b")
    batch = make_batch(AutoProcessor.from_pretrained(path), (768, 768), 256, "cuda", tmp_path)
    r = measure(model, opt, batch, steps=2, device="cuda")
    assert r["flops"] > 0 and r["tokens_per_s"] > 0
