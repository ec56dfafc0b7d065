"""VLM serving throughput: prefill and decode tokens/s and images/s, transformers vs vLLM.

With CUDA it measures the VARCO-VISION-14B architecture with random weights (no checkpoint
needed): transformers builds the model from :func:`vlm.architecture.varco_14b_config` on the
meta device and materialises it in bf16 on the GPU (``to_empty`` + the library's own init);
vLLM loads the same config with ``load_format="dummy"``. Each batch (default 1, 8, 32) holds
distinct random crops of 384x384 pixels (1,485 image tokens each, a one-tile AnyRes crop) and
decodes exactly ``--new-tokens`` (128) tokens. Timing: a 1-token run gives prefill (vision tower
+ projector + prompt); a full run minus it gives decode. It also prints the memory-bandwidth
ceiling of batch-1 decode (weight bytes / GPU bandwidth, since every step reads every weight
once) and the measured batch-1 decode rate as a share of it.

Without CUDA it runs the same code on the tiny checkpoint (batches of 1 and 2 small crops,
16 new tokens) so the path stays tested; those figures are CPU/tiny figures, not the model's.

GPU figures (one H100; vLLM and bitsandbytes come with the gpu extra)::

    pip install -e '.[gpu]'
    python -m bench.vlm_throughput --backend both --batch-sizes 1,8,32 --new-tokens 128

``--bandwidth-tbs`` overrides the GPU bandwidth detected from the device name. Output: one
JSON line, then a table.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# TB/s by device-name fragment, most specific first (vendor datasheets).
BANDWIDTH_TBS: list[tuple[str, float]] = [
    ("H200", 4.8), ("H100 NVL", 3.9), ("H100 PCIe", 2.0), ("H100", 3.35), ("GH200", 4.0),
    ("A100-SXM4-80GB", 2.039), ("A100 80GB PCIe", 1.935), ("A100", 1.555),
    ("L40S", 0.864), ("L4", 0.3), ("A10G", 0.6), ("A10", 0.6),
]


def detect_bandwidth(device_name: str) -> float | None:
    """Peak memory bandwidth (TB/s) for a CUDA device name, or None if unknown."""
    for fragment, tbs in BANDWIDTH_TBS:
        if fragment.lower() in device_name.lower():
            return tbs
    return None


@dataclass(slots=True)
class Result:
    backend: str
    batch: int
    image_tokens: int  # per prompt
    prompt_tokens: int  # whole batch
    new_tokens: int  # per prompt
    prefill_s: float
    total_s: float
    prefill_tok_s: float
    decode_tok_s: float
    images_s: float
    error: str | None = None


def make_images(n: int, width: int, height: int, seed: int = 0) -> list[Image.Image]:
    """Distinct random crops (distinct so no cache can serve one prompt from another)."""
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)) for _ in range(n)]


def materialize(config: Any, device: str, dtype: Any) -> Any:
    """Build the model on the meta device (no memory, no init), then allocate it on ``device``
    in ``dtype`` and initialise every parameter and buffer with the library's init."""
    import torch
    from transformers import LlavaOnevisionForConditionalGeneration

    with torch.device("meta"):
        # Parameters are created in ``dtype`` directly: a float32 14B would not fit next to its copy.
        model = LlavaOnevisionForConditionalGeneration._from_config(config, dtype=dtype)
    model = model.to_empty(device=device)
    # to_empty leaves garbage, including non-persistent buffers (rotary inv_freq, position ids).
    for module in model.modules():
        module._is_hf_initialized = False  # noqa: SLF001 - force re-init of every module
    model.init_weights()
    return model.eval()


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _row(backend: str, batch: int, img_tokens: int, prompt_tokens: int, new: int, t1: float, tn: float) -> Result:
    decode_s = max(tn - t1, 1e-9)
    return Result(
        backend=backend, batch=batch, image_tokens=img_tokens, prompt_tokens=prompt_tokens, new_tokens=new,
        prefill_s=round(t1, 4), total_s=round(tn, 4),
        prefill_tok_s=round(prompt_tokens / t1, 1),
        decode_tok_s=round(batch * (new - 1) / decode_s, 1),
        images_s=round(batch / tn, 3),
    )


def run_transformers(
    model: Any, processor: Any, batch_sizes: list[int], crop: tuple[int, int], new_tokens: int, device: str
) -> list[Result]:
    """Time ``generate`` (greedy, exactly ``new_tokens``) per batch size."""
    import torch

    from vlm.architecture import num_image_tokens
    from vlm.prompts import qa_prompt

    img_tokens = num_image_tokens(crop[1], crop[0], model.config)
    prompt = qa_prompt("이 표에서 2023년 매출액은 얼마인가요?")

    def gen(images: list[Image.Image], n: int) -> tuple[float, int]:
        inputs = processor(images=images, text=[prompt] * len(images), return_tensors="pt", padding=True).to(device)
        inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        _sync(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                           pad_token_id=processor.tokenizer.pad_token_id)
        _sync(device)
        return time.perf_counter() - t0, int(inputs["attention_mask"].sum())

    gen(make_images(1, *crop, seed=99), 2)  # warm-up: kernels, allocator
    results = []
    for b in batch_sizes:
        images = make_images(b, *crop, seed=b)
        try:
            t1, prompt_tokens = gen(images, 1)
            tn, _ = gen(images, new_tokens)
        except torch.cuda.OutOfMemoryError as exc:
            results.append(Result("transformers", b, img_tokens, 0, new_tokens, 0, 0, 0, 0, 0, f"OOM: {exc}"[:200]))
            torch.cuda.empty_cache()
            continue
        results.append(_row("transformers", b, img_tokens, prompt_tokens, new_tokens, t1, tn))
    return results


def run_vllm(model_dir: Path, batch_sizes: list[int], crop: tuple[int, int], new_tokens: int) -> list[Result]:
    """Time vLLM's offline engine with dummy weights, through the backend's request builders."""
    from vlm.architecture import num_image_tokens
    from vlm.backends.vllm_backend import (
        build_requests,
        context_length,
        engine_kwargs,
        import_vllm,
        sampling_kwargs,
    )
    from vlm.config import VLLMOptions, VLMConfig
    from vlm.loading import load_model_config
    from vlm.prompts import qa_prompt

    vllm = import_vllm()
    cfg = VLMConfig(
        model=str(model_dir), dtype="bfloat16", local_files_only=True, max_new_tokens=new_tokens,
        # 0.85, not 0.90: with --backend both this process still holds a CUDA context.
        vllm=VLLMOptions(load_format="dummy", max_num_seqs=max(batch_sizes), gpu_memory_utilization=0.85),
    )
    hf_config = load_model_config(cfg)
    llm = vllm.LLM(**engine_kwargs(cfg, context_length(hf_config, cfg)))
    img_tokens = num_image_tokens(crop[1], crop[0], hf_config)
    prompt = qa_prompt("이 표에서 2023년 매출액은 얼마인가요?")

    def gen(images: list[Image.Image], n: int, engine: Any = llm) -> tuple[float, int]:
        params = vllm.SamplingParams(**sampling_kwargs(n, ignore_eos=True))
        t0 = time.perf_counter()
        outs = engine.generate(build_requests([prompt] * len(images), images), params, use_tqdm=False)
        return time.perf_counter() - t0, sum(len(o.prompt_token_ids) for o in outs)

    gen(make_images(1, *crop, seed=99), 2)
    results = []
    for b in batch_sizes:
        images = make_images(b, *crop, seed=1000 + b)
        t1, prompt_tokens = gen(images, 1)
        tn, _ = gen(make_images(b, *crop, seed=2000 + b), new_tokens)  # fresh images: no encoder cache hits
        results.append(_row("vllm", b, img_tokens, prompt_tokens, new_tokens, t1, tn))
    return results


def summarize(results: list[Result], ceiling: float | None) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Batch-1 decode as a share of the bandwidth ceiling, per backend; and vLLM over
    transformers (prefill and decode tokens/s) per batch size measured by both."""
    ratios = {
        r.backend: float(f"{r.decode_tok_s / ceiling:.3g}")
        for r in results if ceiling and r.batch == 1 and not r.error
    }
    by_key = {(r.backend, r.batch): r for r in results if not r.error}
    peer: dict[str, dict[str, float]] = {}
    for (name, b), v in by_key.items():
        t = by_key.get(("transformers", b))
        if name == "vllm" and t is not None:
            peer[str(b)] = {"prefill": round(v.prefill_tok_s / t.prefill_tok_s, 2),
                            "decode": round(v.decode_tok_s / t.decode_tok_s, 2)}
    return ratios, peer


def _table(results: list[Result]) -> str:
    head = f"{'backend':<13}{'batch':>6}{'img tok':>9}{'prefill tok/s':>15}{'decode tok/s':>14}{'images/s':>10}"
    lines = [head, "-" * len(head)]
    for r in results:
        if r.error:
            lines.append(f"{r.backend:<13}{r.batch:>6}  {r.error}")
            continue
        lines.append(f"{r.backend:<13}{r.batch:>6}{r.image_tokens:>9}{r.prefill_tok_s:>15,.0f}"
                     f"{r.decode_tok_s:>14,.1f}{r.images_s:>10.3f}")
    return "\n".join(lines)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", choices=["transformers", "vllm", "both"], default="both")
    p.add_argument("--batch-sizes", default=None, help="comma-separated (default 1,8,32 on GPU, 1,2 on CPU)")
    p.add_argument("--new-tokens", type=int, default=None, help="default 128 on GPU, 16 on CPU")
    p.add_argument("--crop", default="384x384", help="WIDTHxHEIGHT of each crop (384x384: 1,485 image tokens)")
    p.add_argument("--bandwidth-tbs", type=float, default=None, help="GPU memory bandwidth, TB/s")
    p.add_argument("--model", default=None, help="CPU only: an existing tiny checkpoint to use")
    p.add_argument("--cpu", action="store_true", help="force the CPU/tiny path even with CUDA")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import importlib.util

    import torch

    from vlm.architecture import count_parameters

    args = _parse_args(argv)
    gpu = torch.cuda.is_available() and not args.cpu
    device = "cuda" if gpu else "cpu"
    batch_sizes = [int(b) for b in (args.batch_sizes or ("1,8,32" if gpu else "1,2")).split(",")]
    new_tokens = args.new_tokens or (128 if gpu else 16)
    crop = tuple(int(v) for v in args.crop.lower().split("x"))
    device_name = torch.cuda.get_device_name(0) if gpu else "cpu"
    bandwidth = args.bandwidth_tbs or (detect_bandwidth(device_name) if gpu else None)
    notes: list[str] = [] if gpu else ["CPU/tiny figures: tiny random checkpoint on CPU, not the 14B"]
    results: list[Result] = []

    with tempfile.TemporaryDirectory() as tmp:
        if gpu:
            from vlm.tiny import write_config_only_checkpoint

            model_dir = write_config_only_checkpoint(Path(tmp) / "varco-14b-config")
            dtype = torch.bfloat16
        else:
            from vlm.tiny import build_tiny_checkpoint

            model_dir = Path(args.model) if args.model else build_tiny_checkpoint(Path(tmp) / "tiny")
            dtype = torch.float32
        from transformers import AutoConfig, AutoProcessor

        config = AutoConfig.from_pretrained(model_dir)
        n_params = count_parameters(config)
        weight_bytes = n_params * (2 if gpu else 4)
        if args.backend in ("transformers", "both"):
            processor = AutoProcessor.from_pretrained(model_dir)
            processor.tokenizer.padding_side = "left"
            model = materialize(config, device, dtype)
            results += run_transformers(model, processor, batch_sizes, crop, new_tokens, device)
            del model
            gc.collect()
            if gpu:
                torch.cuda.empty_cache()
        if args.backend in ("vllm", "both"):
            if not gpu:
                notes.append("vllm skipped: needs CUDA")
            elif importlib.util.find_spec("vllm") is None:
                notes.append("vllm skipped: not installed (pip install -e '.[gpu]')")
            else:
                results += run_vllm(model_dir, batch_sizes, crop, new_tokens)

    ceiling = bandwidth * 1e12 / weight_bytes if bandwidth else None
    ratios, peer = summarize(results, ceiling)
    report = {
        "bench": "vlm_throughput", "device": device_name, "tiny": not gpu, "params": n_params,
        "weight_bytes": weight_bytes, "bandwidth_tbs": bandwidth,
        "decode_ceiling_tok_s": round(ceiling, 1) if ceiling else None,
        "batch1_decode_vs_ceiling": ratios, "vllm_over_transformers": peer,
        "crop": list(crop), "new_tokens": new_tokens,
        "results": [asdict(r) for r in results], "notes": notes,
    }
    print(json.dumps(report, ensure_ascii=False))
    print(f"\n{device_name}: {n_params:,} parameters, {weight_bytes / 1e9:.3f} GB of weights")
    if ceiling:
        print(f"batch-1 decode ceiling: {bandwidth} TB/s / {weight_bytes / 1e9:.2f} GB = {ceiling:,.1f} tok/s")
        for backend, ratio in ratios.items():
            print(f"  {backend}: measured batch-1 decode = {ratio:.1%} of the ceiling")
    else:
        print("batch-1 decode ceiling: unknown bandwidth (pass --bandwidth-tbs)")
    print(_table(results))
    for b, r in peer.items():
        print(f"vLLM / transformers at batch {b}: prefill x{r['prefill']}, decode x{r['decode']}")
    for note in notes:
        print(f"note: {note}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
