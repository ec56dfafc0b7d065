"""TransformersBackend on the tiny checkpoint: structure, order, batching, determinism.

Random weights write garbage, so these tests check what must hold for any weights: one
answer per request in order, parsing never fails, boxes are normalised, greedy decoding is
repeatable, and a batch gives the same replies as its prompts one at a time.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from indexing.geometry import Space
from vlm.backends.base import CropInput, GroundedAnswer, VisionRequest
from vlm.backends.transformers_backend import (
    CropJob,
    TransformersBackend,
    clean_reply,
    crop_jobs,
    merge_answers,
    prepare_image,
)
from vlm.parsing import parse_output
from vlm.tokens import BBOX_CLOSE, BBOX_OPEN, CHAR_CLOSE, CHAR_OPEN, IM_END

REPO = Path(__file__).resolve().parents[2]
# width x height: landscape, 1:8 strip, 8:1 strip, tiny, portrait. AnyRes gives them 1.1k-1.8k
# image tokens on different grids (1x2, 2x1, 1x1 ...), so the batch needs real left padding.
SIZES = [(400, 300), (96, 768), (768, 96), (60, 40), (300, 420)]


def _check(answer: GroundedAnswer, n_crops: int) -> None:
    assert isinstance(answer, GroundedAnswer)
    assert isinstance(answer.text, str) and isinstance(answer.raw, str)
    assert isinstance(answer.answerable, bool)
    if answer.answerable:
        assert answer.text.strip()
    else:
        assert answer.evidence == []
    parse_output(answer.raw)  # never raises
    for ev in answer.evidence:
        assert 0 <= ev.crop_index < n_crops
        for b in ev.boxes:
            assert b.space == Space.NORM
            assert 0.0 <= b.x0 <= b.x1 <= 1.0 and 0.0 <= b.y0 <= b.y1 <= 1.0


def test_one_crop(tiny_backend, make_image) -> None:
    request = VisionRequest("2023년 매출액은?", [CropInput(image=make_image(400, 300))])
    [answer] = tiny_backend.answer([request])
    _check(answer, 1)
    assert IM_END not in answer.raw and "<|endoftext|>" not in answer.raw
    assert tiny_backend.answer([request])[0] == answer  # greedy: the same reply twice


def test_batch_of_aspect_ratios_in_order_and_equal_to_singles(tiny_backend, make_image) -> None:
    requests = [
        VisionRequest(f"question {i}?", [CropInput(image=make_image(w, h, seed=i))], grounding=i % 2 == 0)
        for i, (w, h) in enumerate(SIZES)
    ]
    batched = tiny_backend.answer(requests)
    assert len(batched) == len(requests)
    for a in batched:
        _check(a, 1)
    singles = [tiny_backend.answer([r])[0] for r in requests]
    assert [a.raw for a in batched] == [a.raw for a in singles]  # left padding changes nothing


def test_several_crops_become_one_prompt_each(tiny_backend, make_image) -> None:
    crops = [CropInput(image=make_image(300, 200, seed=1)), CropInput(text="no image here"),
             CropInput(image=make_image(100, 800, seed=2))]
    requests = [VisionRequest("합계는?", crops), VisionRequest("none", [CropInput(text="text only")])]
    multi, empty = tiny_backend.answer(requests)
    _check(multi, 3)
    assert multi.raw.startswith("[crop 0] ") and "\n[crop 2] " in multi.raw
    assert empty == GroundedAnswer(text="", answerable=False)
    alone = tiny_backend.answer([VisionRequest("합계는?", [crops[2]])])[0]
    assert multi.raw.endswith(alone.raw)  # crop 2's reply does not depend on its neighbours


def test_complete_text_only(tiny_backend) -> None:
    out = tiny_backend.complete(["질문을 하위 질문으로 나누세요.", "Summarise the evidence."], max_new_tokens=6)
    assert len(out) == 2 and all(isinstance(t, str) for t in out)
    assert out == tiny_backend.complete(["질문을 하위 질문으로 나누세요.", "Summarise the evidence."], max_new_tokens=6)
    assert tiny_backend.complete([]) == [] and tiny_backend.answer([]) == []


def test_token_limits_are_respected(tiny_backend, tiny_loaded, make_image) -> None:
    image = make_image(200, 200)
    replies = tiny_backend.generate(["a", "b"], None, [1, 8])
    tok = tiny_loaded.tokenizer
    assert len(tok.encode(replies[0], add_special_tokens=False)) <= 2  # 1 token (re-encoding may split)
    req = VisionRequest("q", [CropInput(image=image)], max_new_tokens=3)
    [job] = crop_jobs([req], max_new_tokens_cap=tiny_backend.config.max_new_tokens)
    assert job.max_new_tokens == 3
    with pytest.raises(ValueError):
        tiny_backend.generate(["a"], [image, image], [4])


def test_decode_keeps_task_tokens_and_drops_chatml(tiny_backend, tiny_loaded) -> None:
    tok = tiny_loaded.tokenizer
    reply = f"{CHAR_OPEN}매출액{CHAR_CLOSE}{BBOX_OPEN}0.1, 0.2, 0.5, 0.6{BBOX_CLOSE}"
    ids = tok.encode(reply + IM_END + "after the end", add_special_tokens=False)
    text = tiny_backend._decode([tiny_loaded.token_ids.pad, *ids])
    assert text == reply
    [span] = parse_output(text).grounded
    assert span.text == "매출액" and span.boxes[0].as_list(3) == [0.1, 0.2, 0.5, 0.6]


def test_merge_answers_rules() -> None:
    req = VisionRequest("q", [CropInput(), CropInput(), CropInput()])
    jobs = [CropJob(0, i, None, "p", 8) for i in range(3)]  # type: ignore[arg-type]
    replies = ["", f"{CHAR_OPEN}3,450억 원{CHAR_CLOSE}{BBOX_OPEN}0.1, 0.1, 0.4, 0.2{BBOX_CLOSE}", "also here"]
    [ans] = merge_answers([req], jobs, replies)
    assert ans.answerable and ans.text == "3,450억 원"
    assert [ev.crop_index for ev in ans.evidence] == [1]
    [none] = merge_answers([req], jobs[:1], [""])
    assert not none.answerable and none.evidence == []  # empty output: not answerable
    with pytest.raises(ValueError):
        merge_answers([req], jobs, replies[:1])


def test_prepare_image_and_clean_reply(make_image) -> None:
    big = make_image(3000, 600).convert("L")
    small = prepare_image(big, 1000)
    assert small.mode == "RGB" and small.size == (1000, 200)
    assert prepare_image(big, None).size == (3000, 600)
    assert clean_reply("<|im_start|>assistant <gro>x<|im_end|><|endoftext|>") == "assistant <gro>x"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_vlm_throughput", REPO / "bench" / "vlm_throughput.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_materialises_like_a_normal_build(tiny_loaded) -> None:
    bench = _load_bench()
    model = bench.materialize(tiny_loaded.model.config, "cpu", torch.float32)
    for name, buf in tiny_loaded.model.named_buffers():
        assert torch.equal(buf, dict(model.named_buffers())[name]), name
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert bench.detect_bandwidth("NVIDIA H100 80GB HBM3") == 3.35
    assert bench.detect_bandwidth("NVIDIA H200") == 4.8 and bench.detect_bandwidth("NVIDIA H100 PCIe") == 2.0


def test_bench_summary_ratios() -> None:
    bench = _load_bench()
    rows = [bench.Result("transformers", 1, 1485, 1500, 128, 1.0, 3.0, 1500.0, 50.0, 0.33),
            bench.Result("vllm", 1, 1485, 1500, 128, 0.5, 1.5, 3000.0, 100.0, 0.67),
            bench.Result("vllm", 8, 1485, 0, 128, 0, 0, 0, 0, 0, "OOM")]
    ratios, peer = bench.summarize(rows, ceiling=110.0)
    assert ratios == {"transformers": 0.455, "vllm": 0.909}
    assert peer == {"1": {"prefill": 2.0, "decode": 2.0}}
    assert bench.summarize(rows, ceiling=None)[0] == {}


def test_bench_runs_on_the_tiny_checkpoint(tiny_checkpoint, capsys) -> None:
    bench = _load_bench()
    report = bench.main(["--cpu", "--backend", "both", "--batch-sizes", "1,2", "--new-tokens", "4",
                         "--crop", "200x150", "--model", str(tiny_checkpoint), "--bandwidth-tbs", "0.001"])
    assert report["tiny"] and any("CPU/tiny" in n for n in report["notes"])
    rows = [r for r in report["results"] if r["backend"] == "transformers"]
    assert [r["batch"] for r in rows] == [1, 2]
    assert all(r["prefill_tok_s"] > 0 and r["decode_tok_s"] > 0 and r["images_s"] > 0 for r in rows)
    assert report["batch1_decode_vs_ceiling"]["transformers"] > 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("{") and "decode tok/s" in out


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bf16(tiny_checkpoint, make_image) -> None:
    from vlm.config import VLMConfig

    cfg = VLMConfig(model=str(tiny_checkpoint), dtype="bfloat16", device_map="cuda",
                    local_files_only=True, max_new_tokens=8)
    backend = TransformersBackend(cfg)
    assert backend.loaded.model.device.type == "cuda" and backend.loaded.dtype == torch.bfloat16
    requests = [VisionRequest(f"q{i}", [CropInput(image=make_image(w, h, seed=i))]) for i, (w, h) in enumerate(SIZES)]
    answers = backend.answer(requests)
    assert len(answers) == len(requests)
    for a in answers:
        _check(a, 1)
    assert [a.raw for a in backend.answer(requests)] == [a.raw for a in answers]
    assert len(backend.complete(["hello"], max_new_tokens=4)) == 1
    backend.close()
