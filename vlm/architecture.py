"""The VARCO-VISION-14B architecture as a `LlavaOnevisionConfig`, and its AnyRes token arithmetic.

One function, :func:`llava_onevision_config`, builds the model config from two size records:
the production numbers (:data:`VARCO_14B_VISION`, :data:`VARCO_14B_TEXT`, from the model card
and LLaVA-OneVision's SigLIP so400m / Qwen2.5-14B configs) and the tiny ones used for tests
(:data:`TINY_VISION`, :data:`TINY_TEXT`). Only the sizes differ; the AnyRes layout
(``anyres_max_9``, grid pinpoints of 1x1 to 6x6 tiles) is the same, so the tiny checkpoint goes
through exactly the same image path as the 14B.

Token ids are arguments, never defaults: the library default ``image_token_index=151646``
collides with a Qwen2.5 token, so callers read the ids from the checkpoint's tokenizer.

AnyRes geometry (shapes for the 14B, tile 384, patch 14 -> 27x27 = 729 features per tile):

- base view: the whole image resized to one tile -> 729 tokens;
- high-res grid: the image resized into the best pinpoint (``select_best_resolution``),
  padded, cut into ``rows x cols`` tiles -> a ``27*rows x 27*cols`` feature map; the padding
  is cut off again (``unpad``), the map is bilinearly shrunk when it exceeds ~9 tiles
  (``anyres_max_9``, threshold 1.1), and one ``image_newline`` token ends each feature row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from transformers import LlavaOnevisionConfig, Qwen2Config, SiglipVisionConfig
from transformers.image_processing_utils import select_best_resolution

VISION_ASPECT_RATIO = "anyres_max_9"
MAX_GRID = 6  # pinpoints go from 1x1 to 6x6 tiles


@dataclass(frozen=True, slots=True)
class VisionSizes:
    """SigLIP vision tower sizes. ``image_size`` is the tile side; features per tile =
    ``(image_size // patch_size) ** 2``."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    patch_size: int = 14
    image_size: int = 384


@dataclass(frozen=True, slots=True)
class TextSizes:
    """Qwen2 language model sizes. ``vocab_size`` is the embedding rows (may exceed the
    tokenizer's length, as Qwen2.5 pads 151,665 tokens to 152,064 rows)."""

    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vocab_size: int
    rope_theta: float = 1_000_000.0
    max_position_embeddings: int = 32_768
    rms_norm_eps: float = 1e-6


# SigLIP so400m-patch14-384 with the last layer dropped (HF checkpoints: 26 layers, feature layer -1).
VARCO_14B_VISION = VisionSizes(
    hidden_size=1152, num_layers=26, num_heads=16, intermediate_size=4304, patch_size=14, image_size=384
)
# Qwen2.5-14B-Instruct.
VARCO_14B_TEXT = TextSizes(
    hidden_size=5120, num_layers=48, num_heads=40, num_kv_heads=8, intermediate_size=13824,
    vocab_size=152064, rope_theta=1_000_000.0, max_position_embeddings=32_768,
)
# Tests: same structure, a few hundred thousand parameters. vocab_size is filled from the tokenizer.
TINY_VISION = VisionSizes(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64)
TINY_TEXT = TextSizes(
    hidden_size=32, num_layers=2, num_heads=4, num_kv_heads=2, intermediate_size=64, vocab_size=0
)


def grid_pinpoints(tile: int, max_grid: int = MAX_GRID) -> list[list[int]]:
    """Every ``[height, width]`` made of 1..max_grid tiles per side (36 entries for 6)."""
    return [[h * tile, w * tile] for h in range(1, max_grid + 1) for w in range(1, max_grid + 1)]


def llava_onevision_config(
    vision: VisionSizes,
    text: TextSizes,
    *,
    image_token_index: int,
    video_token_index: int,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
    max_grid: int = MAX_GRID,
) -> LlavaOnevisionConfig:
    """Build the LLaVA-OneVision config (SigLIP + 2-layer GELU projector + Qwen2)."""
    if text.vocab_size <= max(image_token_index, video_token_index):
        raise ValueError(
            f"text.vocab_size={text.vocab_size} must exceed the image/video token ids "
            f"({image_token_index}, {video_token_index})"
        )
    vision_config = SiglipVisionConfig(
        hidden_size=vision.hidden_size,
        intermediate_size=vision.intermediate_size,
        num_hidden_layers=vision.num_layers,
        num_attention_heads=vision.num_heads,
        patch_size=vision.patch_size,
        image_size=vision.image_size,
        vision_use_head=False,
    )
    text_config = Qwen2Config(
        hidden_size=text.hidden_size,
        intermediate_size=text.intermediate_size,
        num_hidden_layers=text.num_layers,
        num_attention_heads=text.num_heads,
        num_key_value_heads=text.num_kv_heads,
        vocab_size=text.vocab_size,
        rope_theta=text.rope_theta,
        max_position_embeddings=text.max_position_embeddings,
        rms_norm_eps=text.rms_norm_eps,
        tie_word_embeddings=False,
        eos_token_id=eos_token_id,
        pad_token_id=pad_token_id,
        bos_token_id=None,
    )
    return LlavaOnevisionConfig(
        vision_config=vision_config,
        text_config=text_config,
        image_token_index=image_token_index,
        video_token_index=video_token_index,
        projector_hidden_act="gelu",
        # HF checkpoints drop SigLIP's last layer, so the last hidden state is the penultimate one.
        vision_feature_layer=-1,
        vision_feature_select_strategy="full",
        image_grid_pinpoints=grid_pinpoints(vision.image_size, max_grid),
        vision_aspect_ratio=VISION_ASPECT_RATIO,
        tie_word_embeddings=False,
    )


def varco_14b_config(
    *, image_token_index: int, video_token_index: int,
    eos_token_id: int | None = None, pad_token_id: int | None = None,
) -> LlavaOnevisionConfig:
    """The VARCO-VISION-14B config (for random-weight benchmarks; token ids from a tokenizer)."""
    return llava_onevision_config(
        VARCO_14B_VISION, VARCO_14B_TEXT,
        image_token_index=image_token_index, video_token_index=video_token_index,
        eos_token_id=eos_token_id, pad_token_id=pad_token_id,
    )


def _tile_geometry(config: LlavaOnevisionConfig) -> tuple[int, int, int]:
    """``(tile side in pixels, features per tile side, max tiles)`` from a config."""
    tile = config.vision_config.image_size
    side = tile // config.vision_config.patch_size
    max_tiles = int(config.vision_aspect_ratio.removeprefix("anyres_max_"))
    return tile, side, max_tiles


def _shrunk(cur_h: int, cur_w: int, side: int, max_tiles: int) -> tuple[int, int]:
    """``(rows, features)`` of an unpadded ``cur_h x cur_w`` feature map after the
    ``anyres_max_N`` bilinear shrink, which applies past 1.1x the area of N tiles."""
    ratio = math.sqrt(cur_h * cur_w / (max_tiles * side**2))
    if ratio > 1.1:
        rows = int(cur_h // ratio)
        return rows, rows * int(cur_w // ratio)
    return cur_h, cur_h * cur_w


def num_image_tokens(height: int, width: int, config: LlavaOnevisionConfig) -> int:
    """Image tokens the model spends on one ``height x width`` image (single-image prompt).

    Mirrors the processor's count: base tile + unpadded high-res grid (shrunk past
    ``anyres_max_N``) + one newline per feature row. 1 tile -> 729 + 27x27 + 27 for the 14B.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {height}x{width}")
    tile, side, max_tiles = _tile_geometry(config)
    best_h, best_w = select_best_resolution((height, width), config.image_grid_pinpoints)
    cur_h, cur_w = side * (best_h // tile), side * (best_w // tile)
    # Unpad: the image was resized to fit the grid with its aspect ratio kept, then centred.
    if width / height > cur_w / cur_h:
        new_h = int(round(height * (cur_w / width), 7))
        cur_h -= ((cur_h - new_h) // 2) * 2
    else:
        new_w = int(round(width * (cur_h / height), 7))
        cur_w -= ((cur_w - new_w) // 2) * 2
    rows, feats = _shrunk(cur_h, cur_w, side, max_tiles)
    return side * side + feats + rows


def max_image_tokens(config: LlavaOnevisionConfig) -> int:
    """An upper bound on :func:`num_image_tokens` over all image sizes.

    Exact-pinpoint images are not the worst case: unpadding can trim a grid just below the
    shrink threshold and keep everything (978x3291 costs 8,553 tokens on the 14B, more than the
    ~7.4k of a 3x3 grid). The bound tries every unpadded shape each grid allows (unpadding
    trims an even number of feature rows or columns): 8,829 for the 14B, against 8,765 for
    the worst real size found by a dense scan. Size context windows with it.
    """
    tile, side, max_tiles = _tile_geometry(config)
    best = 0
    for h, w in config.image_grid_pinpoints:
        full_h, full_w = side * (h // tile), side * (w // tile)
        shapes = [(k, full_w) for k in range(full_h, 0, -2)] + [(full_h, k) for k in range(full_w, 0, -2)]
        for cur_h, cur_w in shapes:
            rows, feats = _shrunk(cur_h, cur_w, side, max_tiles)
            best = max(best, side * side + feats + rows)
    return best


def count_parameters(config: LlavaOnevisionConfig) -> int:
    """Parameter count of the full model, built on the meta device (no memory, no init)."""
    import torch
    from transformers import LlavaOnevisionForConditionalGeneration

    with torch.device("meta"):
        model = LlavaOnevisionForConditionalGeneration(config)
    return sum(p.numel() for p in model.parameters())
