"""Load a LLaVA-OneVision checkpoint (VARCO-VISION-14B-HF, 2.0, or the tiny test one).

:func:`load_model` is the one code path for every checkpoint: it checks the config names a
LLaVA-OneVision model, loads ``LlavaOnevisionForConditionalGeneration`` and ``AutoProcessor``
with the configured dtype / device map / attention / quantization, and reads the special token
ids from the checkpoint itself. Nothing assumes an id: the library's default image token
(151646) is a real Qwen2.5 token, so the config's ``image_token_index`` is cross-checked
against what the tokenizer assigns to ``<image>``.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlm.config import VLMConfig
from vlm.errors import MissingTokenError, VLMError
from vlm.tokens import IM_END, IM_START, IMAGE, SPECIAL_TOKENS, token_ids

EXPECTED_MODEL_TYPE = "llava_onevision"
PAD_FALLBACK = "<|endoftext|>"  # Qwen's pad token, used when a tokenizer declares none
GPU_EXTRA_HINT = "install the gpu extra: pip install 'docagent[gpu]'"


class ModelLoadError(VLMError, RuntimeError):
    """The checkpoint could not be found, is not LLaVA-OneVision, or is inconsistent."""


class MissingDependencyError(VLMError, ImportError):
    """An optional package (vllm, bitsandbytes) is needed for the configured feature."""


def require(module: str, feature: str) -> None:
    """Raise :class:`MissingDependencyError` unless ``module`` is importable."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(f"{feature} needs the '{module}' package; {GPU_EXTRA_HINT}", name=module)


@dataclass(slots=True)
class TokenIds:
    """Ids read from the checkpoint. ``special`` holds every VARCO token the tokenizer has as a
    single token (``<gro>``, ``<ocr>``, ``<char>``, ...); ``eos`` are the ids that stop
    generation (``<|im_end|>`` first)."""

    image: int
    im_start: int
    im_end: int
    pad: int
    eos: list[int]
    special: dict[str, int] = field(default_factory=dict)

    @property
    def strip_ids(self) -> set[int]:
        """Ids removed from decoded output: ChatML turn markers, pad and end-of-text."""
        return {self.im_start, self.im_end, self.pad, *self.eos}


@dataclass(slots=True)
class LoadedModel:
    """A model ready for generation: the module, its processor, its token ids, and its source."""

    model: Any
    processor: Any
    token_ids: TokenIds
    source: str

    @property
    def tokenizer(self) -> Any:
        return self.processor.tokenizer

    @property
    def device(self) -> Any:
        return self.model.device

    @property
    def dtype(self) -> Any:
        return self.model.dtype


def _looks_like_path(model: str) -> bool:
    """A hub id is ``name`` or ``owner/name``; anything else (absolute, ./, ~, deeper) is a path."""
    return (
        model.startswith(("/", ".", "~"))
        or model.count("/") > 1
        or os.sep != "/" and os.sep in model
        or Path(model).expanduser().exists()
    )


def _resolve_source(config: VLMConfig) -> str:
    model = config.model
    if _looks_like_path(model):
        path = Path(model).expanduser()
        if not path.is_dir():
            raise ModelLoadError(f"model directory {str(path)!r} does not exist (VLMConfig.model)")
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"{str(path)!r} has no config.json: not a saved checkpoint (VLMConfig.model)"
            )
        return str(path)
    return model


def load_model_config(config: VLMConfig) -> Any:
    """The checkpoint's ``LlavaOnevisionConfig``, with clear errors for missing/foreign checkpoints."""
    from transformers import AutoConfig

    source = _resolve_source(config)
    try:
        hf_config = AutoConfig.from_pretrained(
            source, local_files_only=config.local_files_only, trust_remote_code=config.trust_remote_code
        )
    except (OSError, ValueError) as exc:
        hint = (
            " It is not in the local cache and local_files_only=True forbids downloading."
            if config.local_files_only
            else " Check the hub id, network access and credentials, or point VLMConfig.model at a local copy."
        )
        reason = str(exc).strip().rstrip(".")
        raise ModelLoadError(f"cannot load the model config of {source!r}: {reason}.{hint}") from exc
    model_type = getattr(hf_config, "model_type", None)
    if model_type != EXPECTED_MODEL_TYPE:
        arch = ", ".join(getattr(hf_config, "architectures", None) or []) or "unknown"
        raise ModelLoadError(
            f"{source!r} is a {model_type!r} checkpoint (architectures: {arch}), not "
            f"{EXPECTED_MODEL_TYPE!r}: VARCO-VISION loads as LlavaOnevisionForConditionalGeneration"
        )
    return hf_config


def _torch_dtype(name: str) -> Any:
    import torch

    return "auto" if name == "auto" else getattr(torch, name)


def _quantization_config(config: VLMConfig) -> Any:
    if config.quantization is None:
        return None
    require("bitsandbytes", f"quantization={config.quantization!r}")
    import torch
    from transformers import BitsAndBytesConfig

    if config.quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    compute = torch.bfloat16 if config.dtype in ("auto", "bfloat16") else _torch_dtype(config.dtype)
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute,
        bnb_4bit_use_double_quant=True,
        # The vision tower and projector are small and precision-sensitive: keep them unquantized.
        llm_int8_skip_modules=["vision_tower", "multi_modal_projector", "lm_head"],
    )


def read_token_ids(processor: Any, hf_config: Any) -> TokenIds:
    """Special-token ids from the checkpoint's tokenizer, checked against its model config."""
    tokenizer = processor.tokenizer
    image_token = getattr(processor, "image_token", None) or IMAGE
    try:
        core = token_ids(tokenizer, [image_token, IM_START, IM_END])
    except MissingTokenError as exc:
        raise ModelLoadError(f"the checkpoint's tokenizer cannot serve VARCO prompts: {exc}") from exc
    image_id = core[image_token]
    config_image_id = getattr(hf_config, "image_token_id", None)
    if config_image_id is None:
        config_image_id = getattr(hf_config, "image_token_index", None)
    if config_image_id != image_id:
        raise ModelLoadError(
            f"config image_token_index={config_image_id} but the tokenizer maps {image_token!r} to "
            f"{image_id}: the model would never find its image features"
        )
    special: dict[str, int] = {}
    for tok in SPECIAL_TOKENS:
        try:
            special.update(token_ids(tokenizer, [tok]))
        except MissingTokenError:
            continue  # a later checkpoint may drop a task token; prompts that need it will fail loudly
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = tokenizer.convert_tokens_to_ids(PAD_FALLBACK)
        if not isinstance(pad, int):
            pad = core[IM_END]
        tokenizer.pad_token_id = pad
    eos = [core[IM_END]]
    if isinstance(tokenizer.eos_token_id, int) and tokenizer.eos_token_id not in eos:
        eos.append(tokenizer.eos_token_id)
    return TokenIds(image=image_id, im_start=core[IM_START], im_end=core[IM_END], pad=int(pad), eos=eos, special=special)


def load_processor(config: VLMConfig, source: str | None = None) -> Any:
    """``AutoProcessor`` of the checkpoint, set to pad on the left (batched generation)."""
    from transformers import AutoProcessor

    source = source or _resolve_source(config)
    try:
        processor = AutoProcessor.from_pretrained(
            source, local_files_only=config.local_files_only, trust_remote_code=config.trust_remote_code
        )
    except (OSError, ValueError, ImportError) as exc:
        raise ModelLoadError(f"cannot load the processor of {source!r}: {exc}") from exc
    if not hasattr(processor, "tokenizer") or not hasattr(processor, "image_processor"):
        raise ModelLoadError(f"{source!r} has no image processor + tokenizer (got {type(processor).__name__})")
    processor.tokenizer.padding_side = "left"
    return processor


def load_model(config: VLMConfig) -> LoadedModel:
    """Load model, processor and token ids as ``config`` says (see the module docstring)."""
    from transformers import LlavaOnevisionForConditionalGeneration

    hf_config = load_model_config(config)
    source = _resolve_source(config)
    processor = load_processor(config, source)
    ids = read_token_ids(processor, hf_config)
    kwargs: dict[str, Any] = {
        "dtype": _torch_dtype(config.dtype),
        "local_files_only": config.local_files_only,
        "trust_remote_code": config.trust_remote_code,
    }
    if config.device_map is not None:
        kwargs["device_map"] = config.device_map
    if config.attn_implementation is not None:
        kwargs["attn_implementation"] = config.attn_implementation
    quant = _quantization_config(config)
    if quant is not None:
        kwargs["quantization_config"] = quant
    try:
        model = LlavaOnevisionForConditionalGeneration.from_pretrained(source, config=hf_config, **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load the weights of {source!r}: {exc}") from exc
    model.eval()
    return LoadedModel(model=model, processor=processor, token_ids=ids, source=source)
