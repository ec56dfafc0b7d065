"""Every recipe YAML loads and validates; a bad field names itself in the error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vlm.train.recipe import STAGES, Compose, RecipeError, load_recipe, output_dir, recipe_from_dict

RECIPES = Path(__file__).resolve().parents[3] / "vlm" / "recipes"
ALL = sorted(RECIPES.glob("*/*.yaml"))


def test_both_models_have_the_four_stages() -> None:
    for model in ("tiny", "varco-14b"):
        assert sorted(p.stem for p in (RECIPES / model).glob("*.yaml")) == list(STAGES)


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recipe_loads_and_chains(path: Path) -> None:
    r = load_recipe(path)
    assert r.stage == path.stem and r.model == path.parent.name
    i = STAGES.index(r.stage)
    assert r.source == ("base" if i == 0 else STAGES[i - 1])  # align -> sft -> sft_hr -> dpo
    assert path.read_text(encoding="utf-8").startswith("# ")  # first line: the launch command
    assert f"--recipe vlm/recipes/{path.parent.name}/{path.name}" in path.read_text().splitlines()[0]
    assert output_dir(r, Path("/h")) == Path("/h/checkpoints") / r.model / r.stage


def test_the_14b_recipe_follows_the_notes() -> None:
    align, sft, hr, dpo = (load_recipe(RECIPES / "varco-14b" / f"{s}.yaml") for s in STAGES)
    assert align.trainable == ["projector"] and align.lr == {"projector": 1e-3}
    assert isinstance(align.base, Compose) and "siglip-so400m-patch14-384" in align.base.vision
    assert sft.lr == {"llm": 1e-5, "projector": 1e-5, "vision": 2e-6}
    assert hr.data.max_image_side == 2304 and hr.data.max_tokens >= 8829 + 1024
    assert dpo.trainable == ["llm"] and dpo.lr == {"llm": 5e-7} and dpo.dpo.beta == 0.1
    assert all(r.train.precision == "bf16" for r in (align, sft, hr, dpo))
    assert dpo.distributed.strategy == "deepspeed" and (RECIPES / "varco-14b" / "zero3.json").is_file()
    lora = load_recipe(RECIPES / "varco-14b" / "3_sft_hr.yaml", ["lora.enabled=true", "distributed.strategy=none"])
    assert lora.lora.enabled and lora.distributed.strategy == "none"


def _raw() -> dict:
    return yaml.safe_load((RECIPES / "tiny" / "2_sft.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "field"), [
    (lambda r: r["train"].update(batch_sise=2), "train.batch_sise"),
    (lambda r: r["train"].update(batch_size=0), "train.batch_size"),
    (lambda r: r["train"].update(precision="fp8"), "train.precision"),
    (lambda r: r["data"]["sources"].update(captionz=1.0), "data.sources.captionz"),
    (lambda r: r["data"]["sources"].update(ocr=0), "data.sources.ocr"),
    (lambda r: r.update(stage="5_rl"), "stage"),
    (lambda r: r.update(source="2_sft"), "source"),
    (lambda r: r.update(trainable=["llm", "ears"]), "trainable"),
    (lambda r: r["lr"].pop("vision"), "lr.vision"),
    (lambda r: r.update(trainable=["llm"]), "lr.projector"),
    (lambda r: r.update(objective="dpo"), "data.sources"),
    (lambda r: r.pop("data"), "data"),
    (lambda r: r.update(colour="blue"), "colour"),
    (lambda r: r.update(distributed={"strategy": "deepspeed"}), "distributed.deepspeed"),
    (lambda r: r.update(lora={"enabled": True, "r": -1}), "lora.r"),
])
def test_a_bad_field_names_itself(change, field: str) -> None:
    raw = _raw()
    change(raw)
    with pytest.raises(RecipeError) as err:
        recipe_from_dict(raw)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_overrides_are_typed_and_validated(tmp_path: Path) -> None:
    r = load_recipe(RECIPES / "tiny" / "1_align.yaml", ["train.max_steps=3", "data.pack=true", "lr.projector=3e-3"])
    assert (r.train.max_steps, r.data.pack, r.lr["projector"]) == (3, True, 0.003)  # 3e-3: a number
    with pytest.raises(RecipeError, match=r"^train.max_steps: must be an integer"):
        load_recipe(RECIPES / "tiny" / "1_align.yaml", ["train.max_steps=many"])
    with pytest.raises(RecipeError, match="key.path=value"):
        load_recipe(RECIPES / "tiny" / "1_align.yaml", ["train.max_steps"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n", encoding="utf-8")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)
    with pytest.raises(RecipeError, match="does not exist"):
        load_recipe(tmp_path / "missing.yaml")


def test_14b_recipes_make_trainer_arguments(tmp_path: Path) -> None:
    import importlib.util

    from vlm.train.trainer import training_arguments

    for stage in STAGES[:3]:
        r = load_recipe(RECIPES / "varco-14b" / f"{stage}.yaml")
        args = training_arguments(r, tmp_path, n_samples=10_000, world=8)
        assert args.fsdp_config["use_orig_params"] is True  # frozen parts under FSDP
        assert args.fsdp_config["activation_checkpointing"] is True and args.bf16
        assert args.per_device_train_batch_size == r.train.batch_size
    dpo = load_recipe(RECIPES / "varco-14b" / "4_dpo.yaml")
    if importlib.util.find_spec("deepspeed") is None:
        with pytest.raises(RecipeError, match="pip install deepspeed"):
            training_arguments(dpo, tmp_path, n_samples=1000, world=8)
    else:
        assert training_arguments(dpo, tmp_path, 1000, 8).deepspeed.endswith("zero3.json")
