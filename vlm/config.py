"""How to load and run the VARCO-VISION model: one validated dataclass, plus vLLM's engine group.

The service builds a :class:`VLMConfig` from its settings (``vlm`` never imports ``docagent``);
every bad value raises :class:`VLMConfigError` whose message starts with ``VLMConfig.<field>``
and whose ``field`` attribute names it, so a settings error points at the right variable.

Fields, by group:

- checkpoint: ``model`` (a local directory or a hub id; VARCO-VISION-2.0 loads the same way),
  ``local_files_only``, ``trust_remote_code``;
- numerics and placement: ``dtype``, ``device_map``, ``attn_implementation``, ``quantization``;
- generation: ``max_new_tokens`` (the ceiling; a request may ask for fewer), ``batch_size``
  (prompts per forward pass), ``max_image_side`` (larger images are shrunk first: AnyRes never
  looks at more than 6x384 = 2304 pixels per side anyway);
- ``vllm``: :class:`VLLMOptions`, only read by the vLLM backend.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vlm.errors import VLMError

DEFAULT_MODEL = "NCSOFT/VARCO-VISION-14B-HF"
DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTN_IMPLEMENTATIONS = ("eager", "sdpa", "flash_attention_2")
QUANTIZATIONS = ("4bit", "8bit")
LOAD_FORMATS = ("auto", "safetensors", "pt", "dummy")
_DEVICE_MAP_RE = re.compile(r"^(auto|balanced|balanced_low_0|sequential|cpu|mps|cuda(:\d+)?)$")


class VLMConfigError(VLMError, ValueError):
    """A configuration value is invalid; ``field`` names it."""

    def __init__(self, field_name: str, message: str, owner: str = "VLMConfig") -> None:
        self.field = field_name
        super().__init__(f"{owner}.{field_name}: {message}")


def _positive_int(owner: str, name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise VLMConfigError(name, f"must be an integer >= {minimum}, got {value!r}", owner)


def _flag(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise VLMConfigError(name, f"must be true or false, got {value!r}", owner)


@dataclass(slots=True)
class VLLMOptions:
    """vLLM engine settings.

    ``max_model_len=None`` sizes the context for the worst-case image (at most 8,829 tokens for the
    14B's AnyRes grid) plus ``text_budget`` prompt tokens plus ``max_new_tokens``.
    ``load_format="dummy"`` loads random weights of the real shapes (benchmarks without the
    checkpoint). ``enable_prefix_caching`` stays off by default so benchmarks measure prefill.
    """

    load_format: str = "auto"
    max_model_len: int | None = None
    text_budget: int = 1024
    gpu_memory_utilization: float = 0.90
    tensor_parallel_size: int = 1
    max_num_seqs: int = 32
    enforce_eager: bool = False
    enable_prefix_caching: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        owner = "VLLMOptions"
        if self.load_format not in LOAD_FORMATS:
            raise VLMConfigError("load_format", f"must be one of {LOAD_FORMATS}, got {self.load_format!r}", owner)
        if self.max_model_len is not None:
            _positive_int(owner, "max_model_len", self.max_model_len, 256)
        _positive_int(owner, "text_budget", self.text_budget, 16)
        if not isinstance(self.gpu_memory_utilization, float | int) or not 0.05 <= self.gpu_memory_utilization <= 1.0:
            raise VLMConfigError(
                "gpu_memory_utilization", f"must be in [0.05, 1.0], got {self.gpu_memory_utilization!r}", owner
            )
        _positive_int(owner, "tensor_parallel_size", self.tensor_parallel_size)
        _positive_int(owner, "max_num_seqs", self.max_num_seqs)
        _positive_int(owner, "seed", self.seed, 0)
        _flag(owner, "enforce_eager", self.enforce_eager)
        _flag(owner, "enable_prefix_caching", self.enable_prefix_caching)


@dataclass(slots=True)
class VLMConfig:
    """Everything needed to load VARCO-VISION and generate with it (see the module docstring)."""

    # checkpoint
    model: str = DEFAULT_MODEL
    local_files_only: bool = False
    trust_remote_code: bool = False
    # numerics and placement
    dtype: str = "auto"
    device_map: str | dict[str, Any] | None = "auto"
    attn_implementation: str | None = None
    quantization: str | None = None
    # generation
    max_new_tokens: int = 128
    batch_size: int = 8
    max_image_side: int | None = 2304
    # None renders no system turn (VLM_NOTES); the released HF chat template inserts Qwen's
    # default, vlm.prompts.DEFAULT_SYSTEM, so set that to match it exactly.
    system_prompt: str | None = None
    # vLLM engine
    vllm: VLLMOptions = field(default_factory=VLLMOptions)

    def __post_init__(self) -> None:
        if isinstance(self.model, Path):
            self.model = str(self.model)
        if not isinstance(self.model, str) or not self.model.strip():
            raise VLMConfigError("model", f"must be a local directory or a hub id, got {self.model!r}")
        _flag("VLMConfig", "local_files_only", self.local_files_only)
        _flag("VLMConfig", "trust_remote_code", self.trust_remote_code)
        if self.dtype not in DTYPES:
            raise VLMConfigError("dtype", f"must be one of {DTYPES}, got {self.dtype!r}")
        self._check_device_map()
        if self.attn_implementation is not None and self.attn_implementation not in ATTN_IMPLEMENTATIONS:
            raise VLMConfigError(
                "attn_implementation",
                f"must be one of {ATTN_IMPLEMENTATIONS} or None, got {self.attn_implementation!r}",
            )
        if self.attn_implementation == "flash_attention_2" and self.device_map in ("cpu", "mps"):
            raise VLMConfigError("attn_implementation", f"flash_attention_2 needs CUDA, but device_map={self.device_map!r}")
        if self.quantization is not None and self.quantization not in QUANTIZATIONS:
            raise VLMConfigError("quantization", f"must be one of {QUANTIZATIONS} or None, got {self.quantization!r}")
        if self.quantization is not None and self.device_map in ("cpu", "mps"):
            raise VLMConfigError("quantization", f"bitsandbytes quantization needs CUDA, but device_map={self.device_map!r}")
        _positive_int("VLMConfig", "max_new_tokens", self.max_new_tokens)
        _positive_int("VLMConfig", "batch_size", self.batch_size)
        if self.max_image_side is not None:
            # Below one SigLIP patch (14 px) an image has no features at all.
            _positive_int("VLMConfig", "max_image_side", self.max_image_side, 14)
        if isinstance(self.vllm, Mapping):
            self.vllm = VLLMOptions(**self.vllm)
        if not isinstance(self.vllm, VLLMOptions):
            raise VLMConfigError("vllm", f"must be VLLMOptions or a mapping, got {type(self.vllm).__name__}")

    def _check_device_map(self) -> None:
        dm = self.device_map
        if dm is None or isinstance(dm, dict):
            return
        if not isinstance(dm, str) or not _DEVICE_MAP_RE.match(dm):
            raise VLMConfigError(
                "device_map",
                f"must be auto|balanced|balanced_low_0|sequential|cpu|mps|cuda|cuda:N, a dict or None, got {dm!r}",
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> VLMConfig:
        """Build from a mapping (settings, YAML); an unknown key is an error naming it."""
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise VLMConfigError(str(key), f"unknown setting (known: {', '.join(sorted(known))})")
        return cls(**dict(values))
