"""Training throughput: tokens/s and model FLOPs utilisation of a stage-1 and a stage-3 (LoRA) step.

With CUDA it measures the VARCO-VISION-14B shape with random weights (bf16, built on the meta
device and materialised on the GPU like ``bench.vlm_throughput``); without, the tiny model on
CPU, so the script stays tested. A step is what ``docagent train`` runs per micro-batch: the
recipe's trainable parts (``set_trainable``, LoRA via ``apply_lora`` for stage 3), a batch from
the training collator (one AnyRes image + text, labels on the reply), forward, backward, AdamW
over the per-part groups.

Model FLOPs per step are counted, not estimated: ``torch.utils.flop_counter`` over one untimed
step (matmuls and attention, forward and backward, no recomputation: checkpointing is off).
MFU divides the achieved FLOP/s by the device's dense bf16 peak (datasheet, by device name);
the same run also measures a plain square matmul on the device, the attainable ceiling, and
prints the ratio to it (on CPU that is the only ceiling there is).

    python -m bench.train_throughput                     # CPU: tiny; CUDA: 14B
    python -m bench.train_throughput --image 768x768 --text 512 --steps 5
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from bench.common import machine, table, write_json
from bench.cpu import tree_cpu_seconds

# Dense bf16 tensor-core peaks (FLOP/s) by device-name fragment, most specific first.
PEAK_BF16: list[tuple[str, float]] = [("H200", 989e12), ("H100 PCIe", 756e12), ("H100", 989e12),
                                      ("GH200", 989e12), ("A100", 312e12), ("L40S", 362e12)]
RECIPES = Path(__file__).resolve().parents[1] / "vlm" / "recipes"


def peak_flops(device: str) -> tuple[str, float | None]:
    if not device.startswith("cuda"):
        return "cpu", None
    name = torch.cuda.get_device_name()
    return name, next((p for frag, p in PEAK_BF16 if frag in name), None)


def matmul_ceiling(device: str, dtype: torch.dtype, n: int, reps: int) -> float:
    """FLOP/s of an ``n x n`` matmul on the device: what a step could attain at best."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2):
        a @ b
    _sync(device)
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - start)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def build(model_name: str, device: str, tmp: Path) -> tuple[Any, Any]:
    """Model + processor: the tiny checkpoint, or the 14B config with random bf16 weights."""
    from transformers import AutoProcessor, LlavaOnevisionForConditionalGeneration

    if model_name == "tiny":
        from vlm.tiny import build_tiny_checkpoint

        path = build_tiny_checkpoint(tmp / "tiny")
        model = LlavaOnevisionForConditionalGeneration.from_pretrained(path, dtype=torch.float32)
        return model.to(device), AutoProcessor.from_pretrained(path)
    from bench.vlm_throughput import materialize
    from vlm.tiny import write_config_only_checkpoint

    path = write_config_only_checkpoint(tmp / "varco")
    config = LlavaOnevisionForConditionalGeneration.config_class.from_pretrained(path)
    return materialize(config, device, torch.bfloat16).train(), AutoProcessor.from_pretrained(path)


def make_batch(processor: Any, image: tuple[int, int], text_tokens: int, device: str, tmp: Path
               ) -> dict[str, Any]:
    import numpy as np
    from PIL import Image

    from vlm.synth.records import Turn
    from vlm.train.collator import Collator
    from vlm.train.data import Sample, chatml

    rng = np.random.default_rng(0)
    w, h = image
    img = tmp / "image.png"
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(img)
    words = " ".join(["매출액은 3,450억 원이다."] * max(1, text_tokens // 16))
    turns = [Turn("human", f"<image>\n<gro>\n{words[: text_tokens]}"), Turn("gpt", words[: text_tokens // 2])]
    batch = Collator(processor, max_image_side=max(w, h))([Sample("b", "bench", chatml(turns), img, 0)])
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}


def prepare(model: Any, stage: str, model_name: str) -> tuple[Any, Any]:
    """Freeze as the stage's recipe does (LoRA for stage 3); AdamW over its part groups."""
    from vlm.train.params import param_groups, set_trainable
    from vlm.train.recipe import load_recipe
    from vlm.train.stage import apply_lora

    folder = "tiny" if model_name == "tiny" else "varco-14b"
    overrides = ["lora.enabled=true"] if stage == "3_sft_hr" else []
    recipe = load_recipe(RECIPES / folder / f"{stage}.yaml", overrides)
    set_trainable(model, recipe.trainable)
    if recipe.lora.enabled:
        model = apply_lora(model, recipe)
    groups = param_groups(model, recipe.lr, 0.0)
    for g in groups:
        g.pop("part")
    return model, torch.optim.AdamW(groups, foreach=True)


def step(model: Any, opt: Any, batch: dict[str, Any]) -> float:
    loss = model(**batch, use_cache=False).loss
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return float(loss)


def count_flops(model: Any, opt: Any, batch: dict[str, Any]) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        loss = model(**batch, use_cache=False).loss
        loss.backward()
    opt.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def measure(model: Any, opt: Any, batch: dict[str, Any], steps: int, device: str) -> dict[str, float]:
    flops = count_flops(model, opt, batch)
    step(model, opt, batch)  # warm-up
    _sync(device)
    cpu0, start = tree_cpu_seconds(), time.perf_counter()
    for _ in range(steps):
        step(model, opt, batch)
    _sync(device)
    wall = (time.perf_counter() - start) / steps
    tokens = int(batch["input_ids"].numel())
    return {"tokens": tokens, "step_s": wall, "cpu_s": (tree_cpu_seconds() - cpu0) / steps,
            "tokens_per_s": tokens / wall, "flops": flops, "flops_per_s": flops / wall}


def run(args: argparse.Namespace) -> dict[str, Any]:
    device = "cuda" if torch.cuda.is_available() and not args.cpu else "cpu"
    model_name = args.model or ("varco-14b" if device == "cuda" else "tiny")
    name, peak = peak_flops(device)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    ceiling = matmul_ceiling(device, dtype, 8192 if device == "cuda" else 1024, 20 if device == "cuda" else 10)
    w, h = (int(x) for x in args.image.split("x"))
    rows = []
    for stage in ("1_align", "3_sft_hr"):
        with tempfile.TemporaryDirectory() as tmp:
            model, processor = build(model_name, device, Path(tmp))
            model, opt = prepare(model, stage, model_name)
            batch = make_batch(processor, (w, h), args.text, device, Path(tmp))
            r = measure(model, opt, batch, args.steps, device)
            del model, opt
            if device == "cuda":
                torch.cuda.empty_cache()
        r.update(stage=stage, mfu=r["flops_per_s"] / peak if peak else None,
                 of_matmul=r["flops_per_s"] / ceiling)
        rows.append(r)
    return {"device": name, "model": model_name, "machine": machine(), "peak_flops": peak,
            "matmul_flops": ceiling, "image": args.image, "text_tokens": args.text, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["tiny", "varco-14b"], default=None)
    ap.add_argument("--image", default="768x768", help="WxH of the batch's image (AnyRes tiles follow)")
    ap.add_argument("--text", type=int, default=512, help="about this many characters of prompt text")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--cpu", action="store_true", help="stay on CPU even with CUDA")
    out = run(ap.parse_args())
    print(json.dumps(out))
    write_json("train_throughput", out)
    print(f"{out['model']} on {out['device']} ({out['machine']}); matmul ceiling "
          f"{out['matmul_flops'] / 1e12:.3f} TFLOP/s" + (f", datasheet peak {out['peak_flops'] / 1e12:.0f}"
                                                         if out["peak_flops"] else ""))
    print(table(["stage", "tokens/step", "step s", "CPU s", "tokens/s", "TFLOP/step", "TFLOP/s", "MFU",
                 "of matmul ceiling"],
                [[r["stage"], r["tokens"], f"{r['step_s']:.3f}", f"{r['cpu_s']:.3f}", f"{r['tokens_per_s']:.0f}",
                  f"{r['flops'] / 1e12:.4f}", f"{r['flops_per_s'] / 1e12:.4f}",
                  f"{r['mfu']:.1%}" if r["mfu"] is not None else "n/a (no datasheet peak)",
                  f"{r['of_matmul']:.1%}"] for r in out["rows"]]))


if __name__ == "__main__":
    main()
