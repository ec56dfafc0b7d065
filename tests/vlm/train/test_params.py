"""Parts by module name, the parameters outside the graph, and per-part optimizer groups."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import LlavaOnevisionForConditionalGeneration

from vlm.train.params import param_groups, part_of, set_trainable, unreachable_vision_parameters


@pytest.fixture
def model(tiny_checkpoint: Path):
    return LlavaOnevisionForConditionalGeneration.from_pretrained(tiny_checkpoint)


def test_parts_by_name() -> None:
    assert part_of("model.multi_modal_projector.linear_1.weight") == "projector"
    assert part_of("model.vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight") == "vision"
    assert part_of("model.language_model.layers.1.self_attn.q_proj.weight") == "llm"
    assert part_of("lm_head.weight") == "llm" and part_of("model.image_newline") == "llm"
    assert part_of("base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.default.weight") == "llm"
    with pytest.raises(ValueError, match="no part"):
        part_of("something.else")


def test_unreachable_follows_the_feature_layer(model) -> None:
    names = unreachable_vision_parameters(model)
    assert names and all(".post_layernorm." in n for n in names)  # layer -1: only the final norm
    model.config.vision_feature_layer = -2  # the 27-layer checkpoints: the last layer is unused too
    names = unreachable_vision_parameters(model)
    assert any(".encoder.layers.1." in n for n in names)
    assert not any(".encoder.layers.0." in n for n in names)


def test_unreachable_parameters_get_no_gradient(model, make_image, tiny_checkpoint: Path) -> None:
    from transformers import AutoProcessor

    proc = AutoProcessor.from_pretrained(tiny_checkpoint)
    enc = proc(images=[make_image(300, 200)], text=["<|im_start|>user\n<image>\n무엇?<|im_end|>\n"],
               return_tensors="pt")
    set_trainable(model, ["vision", "projector", "llm"])
    model(**enc, labels=enc["input_ids"], use_cache=False).loss.backward()
    for name, p in model.named_parameters():
        if name.startswith("model.vision_tower"):
            assert (p.grad is not None) == p.requires_grad, name  # frozen exactly where no gradient flows


def test_groups_carry_each_parts_lr(model) -> None:
    trainable = set_trainable(model, ["projector", "llm"])
    assert set(trainable) == {"projector", "llm"} and trainable["projector"]
    assert not any(p.requires_grad for n, p in model.named_parameters() if "vision_tower" in n)
    groups = param_groups(model, {"projector": 1e-3, "llm": 1e-5}, weight_decay=0.1)
    by_part = {(g["part"], g["weight_decay"]): g for g in groups}
    assert by_part[("projector", 0.1)]["lr"] == 1e-3 and by_part[("llm", 0.1)]["lr"] == 1e-5
    no_decay = {id(p) for g in groups if g["weight_decay"] == 0.0 for p in g["params"]}
    norm = dict(model.named_parameters())["model.language_model.norm.weight"]
    assert id(norm) in no_decay
    n_in_groups = sum(p.numel() for g in groups for p in g["params"])
    assert n_in_groups == sum(p.numel() for p in model.parameters() if p.requires_grad)
    torch.optim.AdamW([{k: v for k, v in g.items() if k != "part"} for g in groups])
    with pytest.raises(ValueError, match="lr.llm"):
        param_groups(model, {"projector": 1e-3}, 0.0)
