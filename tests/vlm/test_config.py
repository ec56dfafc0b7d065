"""VLMConfig: defaults load the 14B; every bad value names its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlm.config import DEFAULT_MODEL, VLLMOptions, VLMConfig, VLMConfigError


def test_defaults_are_the_production_model() -> None:
    cfg = VLMConfig()
    assert cfg.model == DEFAULT_MODEL == "NCSOFT/VARCO-VISION-14B-HF"
    assert (cfg.dtype, cfg.max_new_tokens, cfg.trust_remote_code, cfg.quantization) == ("auto", 128, False, None)
    assert isinstance(cfg.vllm, VLLMOptions) and cfg.vllm.load_format == "auto"


def test_path_model_becomes_a_string(tmp_path: Path) -> None:
    assert VLMConfig(model=tmp_path).model == str(tmp_path)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model": ""}, "model"),
        ({"model": None}, "model"),
        ({"dtype": "fp8"}, "dtype"),
        ({"device_map": "gpu0"}, "device_map"),
        ({"device_map": 3}, "device_map"),
        ({"attn_implementation": "flash"}, "attn_implementation"),
        ({"attn_implementation": "flash_attention_2", "device_map": "cpu"}, "attn_implementation"),
        ({"quantization": "3bit"}, "quantization"),
        ({"quantization": "4bit", "device_map": "cpu"}, "quantization"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"max_new_tokens": True}, "max_new_tokens"),
        ({"batch_size": -1}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"max_image_side": 5}, "max_image_side"),
        ({"local_files_only": "yes"}, "local_files_only"),
        ({"trust_remote_code": 1}, "trust_remote_code"),
        ({"vllm": {"gpu_memory_utilization": 1.5}}, "gpu_memory_utilization"),
        ({"vllm": {"load_format": "gguf"}}, "load_format"),
        ({"vllm": {"max_model_len": 10}}, "max_model_len"),
        ({"vllm": 3}, "vllm"),
    ],
)
def test_bad_values_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(VLMConfigError) as info:
        VLMConfig(**kwargs)
    assert info.value.field == field
    assert f".{field}:" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("device_map", ["auto", "cpu", "cuda", "cuda:1", "balanced", None, {"": 0}])
def test_valid_device_maps(device_map) -> None:
    assert VLMConfig(device_map=device_map).device_map == device_map


def test_from_mapping_builds_groups_and_rejects_unknown_keys() -> None:
    cfg = VLMConfig.from_mapping({"model": "/m", "batch_size": 4, "vllm": {"load_format": "dummy"}})
    assert cfg.batch_size == 4 and cfg.vllm.load_format == "dummy"
    with pytest.raises(VLMConfigError) as info:
        VLMConfig.from_mapping({"modle": "/m"})
    assert info.value.field == "modle"


def test_system_prompt_reaches_the_prompts():
    from PIL import Image

    from vlm.backends.base import CropInput, VisionRequest
    from vlm.backends.transformers_backend import crop_jobs
    from vlm.prompts import DEFAULT_SYSTEM

    img = Image.new("RGB", (40, 20), "white")
    req = VisionRequest("매출액은?", [CropInput(image=img)])
    (plain,) = crop_jobs([req], 16)
    (with_system,) = crop_jobs([req], 16, system=DEFAULT_SYSTEM)
    assert "<|im_start|>system" not in plain.prompt
    assert with_system.prompt.startswith(f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n")
    assert VLMConfig(system_prompt=DEFAULT_SYSTEM).system_prompt == DEFAULT_SYSTEM
