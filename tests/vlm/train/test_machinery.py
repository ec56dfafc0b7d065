"""Resume, LoRA, the vision keep-alive and the composed base, on the hand-made set."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

from tests.vlm.train.fixtures import write_small_set
from vlm.train.checkpoint import last_trainer_checkpoint
from vlm.train.recipe import load_recipe, stage_dir
from vlm.train.stage import run_stage

RECIPES = Path(__file__).resolve().parents[3] / "vlm" / "recipes" / "tiny"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    write_small_set(home / "synth" / "tiny")
    return home


class _Crash(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001, ANN003
        if state.global_step == 5:  # after checkpoint-4 was written
            raise RuntimeError("worker lost")


def test_resume_continues_where_the_stage_stopped(home: Path, tmp_path: Path) -> None:
    common = ["train.max_steps=6", "train.save_steps=2", "train.log_steps=1"]
    whole = run_stage(load_recipe(RECIPES / "1_align.yaml", [*common, f"output={tmp_path / 'whole'}"]), home)
    cut = load_recipe(RECIPES / "1_align.yaml", [*common, f"output={tmp_path / 'cut'}"])
    with pytest.raises(RuntimeError, match="worker lost"):
        run_stage(cut, home, callbacks=[_Crash()])
    assert last_trainer_checkpoint(tmp_path / "cut").endswith("checkpoint-4")
    resumed = run_stage(cut, home, resume=True)
    assert resumed.record["steps"] == whole.record["steps"] == 6
    a = load_file(str(tmp_path / "whole" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "model.safetensors"))
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6), (name, (a[name] - b[name]).abs().max())  # the same run, interrupted or not


def test_lora_trains_adapters_and_merges(home: Path, tmp_path: Path) -> None:
    run_stage(load_recipe(RECIPES / "1_align.yaml", ["train.max_steps=2"]), home)
    run_stage(load_recipe(RECIPES / "2_sft.yaml", ["train.max_steps=2"]), home)
    recipe = load_recipe(RECIPES / "3_sft_hr.yaml", ["lora.enabled=true", "lora.r=4", "lora.alpha=8",
                                                     "train.max_steps=4", f"output={tmp_path / 'lora'}"])
    rec = run_stage(recipe, home).record
    before = load_file(str(stage_dir(home, "tiny", "2_sft") / "model.safetensors"))
    after = load_file(str(tmp_path / "lora" / "model.safetensors"))
    assert before.keys() == after.keys()  # merged: a plain checkpoint, no adapter weights
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert any(".self_attn.q_proj.weight" in n for n in changed)  # adapters merged into targets
    assert not any("embed_tokens" in n or n == "lm_head.weight" for n in changed)  # not targets
    assert any("multi_modal_projector" in n for n in changed)  # trained in full beside LoRA
    assert rec["parameters"]["trainable"] < rec["parameters"]["llm"]


def test_text_only_batch_keeps_vision_in_the_graph(tiny_checkpoint: Path) -> None:
    from transformers import LlavaOnevisionForConditionalGeneration

    from vlm.train.params import set_trainable
    from vlm.train.trainer import vision_keepalive

    model = LlavaOnevisionForConditionalGeneration.from_pretrained(tiny_checkpoint)
    set_trainable(model, ["vision", "projector", "llm"])
    ids = torch.tensor([[5, 6, 7, 8]])
    loss = model(input_ids=ids, labels=ids, use_cache=False).loss
    keep = vision_keepalive(model)
    assert keep.item() == 0.0
    (loss + keep).backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, name  # every trainable part joins the step, at zero weight
            if "vision_tower" in name or "multi_modal_projector" in name:
                assert p.grad.abs().max().item() == 0.0


def test_compose_base_joins_pretrained_parts(tiny_checkpoint: Path, tmp_path: Path, make_image) -> None:
    from transformers import AutoProcessor, LlavaOnevisionForConditionalGeneration, Qwen2ForCausalLM

    from vlm.train.checkpoint import compose_base
    from vlm.train.recipe import Compose

    src = LlavaOnevisionForConditionalGeneration.from_pretrained(tiny_checkpoint)
    src.model.vision_tower.save_pretrained(tmp_path / "siglip")
    lm = Qwen2ForCausalLM(src.config.text_config)
    lm.model.load_state_dict(src.model.language_model.state_dict())
    lm.save_pretrained(tmp_path / "qwen")
    AutoProcessor.from_pretrained(tiny_checkpoint).tokenizer.save_pretrained(tmp_path / "qwen")
    out = compose_base(Compose(str(tmp_path / "siglip"), str(tmp_path / "qwen")), tmp_path / "base")
    model = LlavaOnevisionForConditionalGeneration.from_pretrained(out)
    layers = src.config.vision_config.num_hidden_layers
    assert model.config.vision_config.num_hidden_layers == layers - 1  # last layer dropped, as HF does
    w = next(k for k in src.model.vision_tower.state_dict() if k.endswith("encoder.layers.0.mlp.fc1.weight"))
    assert torch.equal(model.model.vision_tower.state_dict()[w], src.model.vision_tower.state_dict()[w])
    assert torch.equal(model.model.language_model.norm.weight, src.model.language_model.norm.weight)
    proc = AutoProcessor.from_pretrained(out)
    enc = proc(images=[make_image(300, 200)], text=["<|im_start|>user\n<image>\n무엇?<|im_end|>\n"],
               return_tensors="pt")
    assert model(**enc).logits.shape[1] == enc["input_ids"].shape[1]
