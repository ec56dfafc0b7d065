"""VARCO-VISION through vLLM's offline engine (GPU workers; the `gpu` extra).

vLLM serves ``LlavaOnevisionForConditionalGeneration`` checkpoints unmodified. This backend
builds the same prompts as the transformers one (one crop per prompt, see
``transformers_backend``) and parses the replies through the same path. Greedy decoding
(``temperature=0``), stop at ``<|im_end|>``; special tokens are kept in the decoded text because
``<char>``/``<bbox>`` carry the grounding.

The context length is sized for the worst case: the largest AnyRes image (at most 8,829 tokens
for the 14B) plus a text budget plus the new tokens, so no crop is ever rejected for length.
``load_format="dummy"`` gives random weights of the real shapes, for benchmarks.

Everything that shapes a request (:func:`engine_kwargs`, :func:`sampling_kwargs`,
:func:`build_requests`) is a pure function, testable without vLLM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from vlm.backends.base import GroundedAnswer, VisionRequest, VLMBackend
from vlm.backends.transformers_backend import clean_reply, crop_jobs, merge_answers
from vlm.config import VLMConfig, VLMConfigError
from vlm.loading import GPU_EXTRA_HINT, MissingDependencyError
from vlm.prompts import text_prompt
from vlm.tokens import IM_END

STOP = [IM_END]


def import_vllm() -> Any:
    """The ``vllm`` module, or :class:`MissingDependencyError` saying how to install it."""
    try:
        import vllm
    except ImportError as exc:
        raise MissingDependencyError(f"the vLLM backend needs vllm; {GPU_EXTRA_HINT}", name="vllm") from exc
    return vllm


def context_length(model_config: Any, config: VLMConfig) -> int:
    """``max_model_len``: the configured one, else worst-case image + text budget + new tokens,
    rounded up to a multiple of 256."""
    if config.vllm.max_model_len is not None:
        return config.vllm.max_model_len
    from vlm.architecture import max_image_tokens

    need = max_image_tokens(model_config) + config.vllm.text_budget + config.max_new_tokens
    return -(-need // 256) * 256


def engine_kwargs(config: VLMConfig, max_model_len: int) -> dict[str, Any]:
    """Keyword arguments for ``vllm.LLM`` from a :class:`VLMConfig`."""
    opts = config.vllm
    if config.quantization == "8bit":
        raise VLMConfigError("quantization", "vLLM has no 8-bit bitsandbytes mode; use '4bit' or None")
    kwargs: dict[str, Any] = {
        "model": config.model,
        "tokenizer": config.model,
        "dtype": config.dtype,
        "trust_remote_code": config.trust_remote_code,
        "load_format": opts.load_format,
        "max_model_len": max_model_len,
        # One image per prompt (VARCO-VISION-14B's training format); no video profiling.
        "limit_mm_per_prompt": {"image": 1, "video": 0},
        "gpu_memory_utilization": opts.gpu_memory_utilization,
        "tensor_parallel_size": opts.tensor_parallel_size,
        "max_num_seqs": opts.max_num_seqs,
        "enforce_eager": opts.enforce_eager,
        "enable_prefix_caching": opts.enable_prefix_caching,
        "seed": opts.seed,
    }
    if config.quantization == "4bit":
        kwargs["quantization"] = "bitsandbytes"
    if config.attn_implementation == "eager":
        kwargs["enforce_eager"] = True  # closest vLLM equivalent: no CUDA graphs
    return kwargs


def sampling_kwargs(max_tokens: int, *, ignore_eos: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``vllm.SamplingParams``: greedy, stop at ``<|im_end|>``, keep the
    task tokens in the text. ``ignore_eos`` forces exactly ``max_tokens`` (benchmarks)."""
    kwargs: dict[str, Any] = {
        "temperature": 0.0,
        "max_tokens": max_tokens,
        "stop": list(STOP),
        "skip_special_tokens": False,
        "spaces_between_special_tokens": False,
    }
    if ignore_eos:
        kwargs.update(ignore_eos=True, min_tokens=max_tokens, stop=[])
    return kwargs


def build_requests(prompts: Sequence[str], images: Sequence[Image.Image | None] | None) -> list[dict[str, Any]]:
    """vLLM prompt dicts: ``{"prompt": ..., "multi_modal_data": {"image": pil}}`` (text-only
    prompts carry no ``multi_modal_data``). Each prompt must hold as many ``<image>`` as images."""
    if images is not None and len(images) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(images)} images")
    out: list[dict[str, Any]] = []
    for i, prompt in enumerate(prompts):
        image = images[i] if images is not None else None
        req: dict[str, Any] = {"prompt": prompt}
        if image is not None:
            req["multi_modal_data"] = {"image": image}
        out.append(req)
    return out


class VLLMBackend(VLMBackend):
    """Runs the model in a vLLM ``LLM`` engine in this process."""

    name = "vllm"

    def __init__(self, config: VLMConfig | None = None, *, llm: Any = None) -> None:
        self.config = config or VLMConfig()
        vllm = import_vllm()
        self._sampling_cls = vllm.SamplingParams
        if llm is None:
            from vlm.loading import load_model_config

            max_len = context_length(load_model_config(self.config), self.config)
            llm = vllm.LLM(**engine_kwargs(self.config, max_len))
        self.llm: Any = llm

    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        jobs = crop_jobs(requests, self.config.max_new_tokens, self.config.max_image_side,
                         system=self.config.system_prompt)
        replies = self.generate([j.prompt for j in jobs], [j.image for j in jobs], [j.max_new_tokens for j in jobs])
        return merge_answers(requests, jobs, replies)

    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        limit = max(1, min(max_new_tokens, self.config.max_new_tokens))
        return self.generate([text_prompt(p, system=self.config.system_prompt) for p in prompts], None, [limit] * len(prompts))

    def generate(
        self,
        prompts: Sequence[str],
        images: Sequence[Image.Image | None] | None,
        max_new_tokens: Sequence[int],
        *,
        ignore_eos: bool = False,
    ) -> list[str]:
        """Replies in input order. vLLM schedules the whole list itself (continuous batching)."""
        if not prompts:
            return []
        if self.llm is None:
            raise RuntimeError("VLLMBackend is closed")
        params = [self._sampling_cls(**sampling_kwargs(n, ignore_eos=ignore_eos)) for n in max_new_tokens]
        outputs = self.llm.generate(build_requests(prompts, images), params, use_tqdm=False)
        return [clean_reply(o.outputs[0].text) for o in outputs]

    def close(self) -> None:
        self.llm = None
