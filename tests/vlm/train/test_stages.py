"""The four tiny stages in sequence, each from the previous one's checkpoint, on CPU.

Per stage: the trainable parameters changed and the frozen ones did not, the held-out loss
fell, the checkpoint says what made it; DPO starts at ln 2; the final checkpoint loads in the
``transformers`` backend unchanged.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from safetensors.torch import load_file

from vlm.train.checkpoint import read_stage
from vlm.train.params import PART_PATTERNS
from vlm.train.recipe import STAGES, load_recipe, stage_dir
from vlm.train.stage import run_stage

RECIPES = Path(__file__).resolve().parents[3] / "vlm" / "recipes" / "tiny"
# The shipped recipes, shortened: the tests check the machinery; bench.train_recipe runs them
# as written and scores what the model learned.
STEPS = {"1_align": 24, "2_sft": 24, "3_sft_hr": 12, "4_dpo": 12}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    home = tmp_path_factory.mktemp("home")
    out = {}
    for stage in STAGES:
        recipe = load_recipe(RECIPES / f"{stage}.yaml", [f"train.max_steps={STEPS[stage]}"])
        out[stage] = run_stage(recipe, home).record
    out["home"] = home  # type: ignore[assignment]
    return out


def _weights(path: Path) -> dict:
    return load_file(str(Path(path) / "model.safetensors"))


def _part(name: str) -> str:
    return next(p for p, pat in PART_PATTERNS.items() if pat.search(name))


@pytest.mark.parametrize("stage", STAGES)
def test_trainable_changed_and_frozen_did_not(trained, stage: str) -> None:
    rec = trained[stage]
    before, after = _weights(Path(rec["source"])), _weights(stage_dir(trained["home"], "tiny", stage))
    assert before.keys() == after.keys()
    trainable = set(rec["recipe"]["trainable"])
    for name, w in before.items():
        changed = not (w == after[name]).all()
        should = _part(name) in trainable and ".post_layernorm." not in name  # norm: outside the graph
        assert changed == should, f"{stage}: {name} changed={changed}, trainable={should}"


@pytest.mark.parametrize("stage", STAGES)
def test_held_out_loss_falls(trained, stage: str) -> None:
    rec = trained[stage]
    assert rec["held_out_after"]["loss"] < rec["held_out_before"]["loss"]
    assert rec["steps"] == STEPS[stage]


def test_dpo_starts_at_ln2(trained) -> None:
    assert trained["4_dpo"]["held_out_before"]["loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert trained["4_dpo"]["held_out_after"]["preference_accuracy"] > 0.5


def test_stages_chain_and_describe_themselves(trained) -> None:
    home = trained["home"]
    assert trained["1_align"]["source"] == str(stage_dir(home, "tiny", "base"))
    for prev, stage in zip(STAGES, STAGES[1:], strict=False):
        assert trained[stage]["source"] == str(stage_dir(home, "tiny", prev))
        assert trained[stage]["source_stage"] == prev
    rec = read_stage(stage_dir(home, "tiny", "4_dpo"))
    assert rec["stage"] == "4_dpo" and rec["recipe_path"].endswith("tiny/4_dpo.yaml")
    assert len(rec["data_hash"]) == 16 and rec["samples"] > 0


def test_final_checkpoint_loads_in_the_transformers_backend(trained, make_image) -> None:
    from vlm.backends.base import CropInput, VisionRequest
    from vlm.backends.transformers_backend import TransformersBackend
    from vlm.config import VLMConfig

    path = stage_dir(trained["home"], "tiny", "4_dpo")
    backend = TransformersBackend(VLMConfig(model=str(path), dtype="float32", device_map="cpu",
                                            local_files_only=True, max_new_tokens=8))
    [answer] = backend.answer([VisionRequest("매출액은?", [CropInput(image=make_image(300, 200))])])
    assert isinstance(answer.text, str)
    backend.close()
