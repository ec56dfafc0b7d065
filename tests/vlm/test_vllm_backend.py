"""VLLMBackend without a GPU: the missing-dependency error, the pure request builders, and the
whole answer path against a stand-in engine."""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass, field

import pytest
from PIL import Image

from vlm.backends.base import CropInput, VisionRequest
from vlm.backends.vllm_backend import (
    VLLMBackend,
    build_requests,
    context_length,
    engine_kwargs,
    sampling_kwargs,
)
from vlm.config import VLLMOptions, VLMConfig, VLMConfigError
from vlm.loading import MissingDependencyError
from vlm.prompts import qa_prompt, text_prompt
from vlm.tokens import IM_END, IMAGE

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(HAS_VLLM, reason="vllm is installed")
def test_missing_vllm_says_how_to_install() -> None:
    with pytest.raises(MissingDependencyError) as info:
        VLLMBackend(VLMConfig(model="/nowhere"))
    assert "install the gpu extra: pip install 'docagent[gpu]'" in str(info.value)
    assert isinstance(info.value, ImportError) and info.value.name == "vllm"


def test_build_requests_is_pure() -> None:
    img = Image.new("RGB", (40, 20))
    prompts = [qa_prompt("a?"), text_prompt("b")]
    reqs = build_requests(prompts, [img, None])
    assert reqs == [{"prompt": prompts[0], "multi_modal_data": {"image": img}}, {"prompt": prompts[1]}]
    assert reqs[0]["prompt"].count(IMAGE) == 1
    assert build_requests(prompts, None) == [{"prompt": p} for p in prompts]
    with pytest.raises(ValueError):
        build_requests(prompts, [img])


def test_sampling_is_greedy_and_stops_at_im_end() -> None:
    kw = sampling_kwargs(64)
    assert kw["temperature"] == 0.0 and kw["max_tokens"] == 64 and kw["stop"] == [IM_END]
    assert kw["skip_special_tokens"] is False  # <char>/<bbox> carry the grounding
    forced = sampling_kwargs(128, ignore_eos=True)
    assert forced["ignore_eos"] and forced["min_tokens"] == 128 and forced["stop"] == []


def test_engine_kwargs() -> None:
    cfg = VLMConfig(model="/m", dtype="bfloat16", vllm=VLLMOptions(load_format="dummy", max_num_seqs=32))
    kw = engine_kwargs(cfg, 10240)
    assert kw["model"] == kw["tokenizer"] == "/m"
    assert kw["load_format"] == "dummy" and kw["max_model_len"] == 10240 and kw["dtype"] == "bfloat16"
    assert kw["limit_mm_per_prompt"] == {"image": 1, "video": 0}
    assert kw["enable_prefix_caching"] is False and "quantization" not in kw
    q4 = VLMConfig(model="/m", device_map="cuda", quantization="4bit")
    assert engine_kwargs(q4, 4096)["quantization"] == "bitsandbytes"
    with pytest.raises(VLMConfigError) as info:
        engine_kwargs(VLMConfig(model="/m", device_map="cuda", quantization="8bit"), 4096)
    assert info.value.field == "quantization"


def test_context_length_covers_the_worst_image(tiny_loaded) -> None:
    cfg = VLMConfig(model="/m", max_new_tokens=128)
    n = context_length(tiny_loaded.model.config, cfg)  # tiny shares the 14B's AnyRes geometry
    assert n % 256 == 0 and n >= 8829 + 1024 + 128
    assert context_length(tiny_loaded.model.config, VLMConfig(vllm=VLLMOptions(max_model_len=4096))) == 4096


@dataclass
class _Completion:
    text: str


@dataclass
class _Output:
    outputs: list[_Completion]
    prompt_token_ids: list[int] = field(default_factory=list)


class _FakeLLM:
    """Answers with a grounded span naming the prompt's index; records what it was sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[list, list]] = []

    def generate(self, requests, params, use_tqdm=False):
        self.calls.append((requests, params))
        out = []
        for i, r in enumerate(requests):
            has_image = "multi_modal_data" in r
            text = (f"<char>crop{i}</char><bbox>0.1, 0.2, 0.3, 0.4</bbox><|endoftext|>" if has_image else f"plan {i}")
            out.append(_Output([_Completion(text)]))
        return out


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("vllm")
    module.SamplingParams = lambda **kw: kw  # type: ignore[attr-defined]
    module.LLM = None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_answer_path_with_a_stand_in_engine(fake_vllm) -> None:
    llm = _FakeLLM()
    backend = VLLMBackend(VLMConfig(model="/m", max_new_tokens=32), llm=llm)
    img = Image.new("RGB", (120, 960))
    requests = [
        VisionRequest("q0", [CropInput(image=img), CropInput(text="no image"), CropInput(image=img)]),
        VisionRequest("q1", [CropInput(image=img)], max_new_tokens=8, grounding=False),
    ]
    answers = backend.answer(requests)
    assert len(answers) == 2
    assert [ev.crop_index for ev in answers[0].evidence] == [0, 2]
    assert answers[0].text == "crop0" and answers[1].text == "crop2"
    sent, params = llm.calls[0]
    assert [p["max_tokens"] for p in params] == [32, 32, 8]
    assert "<gro>" in sent[0]["prompt"] and "<gro>" not in sent[2]["prompt"]
    assert backend.complete(["plan it"]) == ["plan 0"]
    assert "multi_modal_data" not in llm.calls[-1][0][0]
    backend.close()
    with pytest.raises(RuntimeError):
        backend.complete(["x"])
