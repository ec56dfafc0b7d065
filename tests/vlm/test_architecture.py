"""The 14B config carries the model card's numbers; AnyRes token counts match the processor."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from vlm.architecture import (
    TINY_TEXT,
    TINY_VISION,
    count_parameters,
    grid_pinpoints,
    llava_onevision_config,
    max_image_tokens,
    num_image_tokens,
    varco_14b_config,
)


@pytest.fixture(scope="module")
def big():
    return varco_14b_config(image_token_index=151_655, video_token_index=151_656)


def test_14b_numbers(big) -> None:
    v, t = big.vision_config, big.text_config
    assert (v.hidden_size, v.num_hidden_layers, v.num_attention_heads, v.intermediate_size) == (1152, 26, 16, 4304)
    assert (v.patch_size, v.image_size, v.vision_use_head) == (14, 384, False)
    assert (t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.num_key_value_heads) == (5120, 48, 40, 8)
    assert (t.intermediate_size, t.vocab_size) == (13824, 152064)
    assert t.rope_parameters["rope_theta"] == 1_000_000.0
    assert big.projector_hidden_act == "gelu" and big.vision_aspect_ratio == "anyres_max_9"
    assert (big.vision_feature_layer, big.vision_feature_select_strategy) == (-1, "full")
    assert big.image_token_index == 151_655  # what the caller read, not the library's 151646


def test_pinpoints_are_1x1_to_6x6_tiles(big) -> None:
    pins = big.image_grid_pinpoints
    assert len(pins) == 36 and pins[0] == [384, 384] and pins[-1] == [2304, 2304]
    assert all(h % 384 == 0 and w % 384 == 0 for h, w in pins)
    assert grid_pinpoints(32, 2) == [[32, 32], [32, 64], [64, 32], [64, 64]]


def test_parameter_count_is_about_15b(big) -> None:
    n = count_parameters(big)
    assert 14.8e9 < n < 15.6e9  # Qwen2.5-14B (14.7B) + SigLIP (0.4B) + projector


def test_tiny_shares_the_structure(big) -> None:
    tiny = llava_onevision_config(
        TINY_VISION, replace(TINY_TEXT, vocab_size=64), image_token_index=10, video_token_index=11
    )
    for attr in ("image_grid_pinpoints", "vision_aspect_ratio", "vision_feature_layer",
                 "vision_feature_select_strategy", "projector_hidden_act"):
        assert getattr(tiny, attr) == getattr(big, attr), attr
    assert tiny.vision_config.image_size == 384 and tiny.vision_config.patch_size == 14


def test_token_ids_must_fit_the_vocabulary() -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        llava_onevision_config(TINY_VISION, TINY_TEXT, image_token_index=5, video_token_index=6)


def test_one_tile_crop_costs_1485_tokens(big) -> None:
    # base view 27x27 + unpadded 27x27 grid + 27 row newlines
    assert num_image_tokens(384, 384, big) == 729 + 729 + 27
    with pytest.raises(ValueError):
        num_image_tokens(0, 10, big)


def test_worst_case_image_tokens(big) -> None:
    worst = max_image_tokens(big)
    assert worst == 8829  # well above the ~7.4k of a 3x3 grid
    assert num_image_tokens(978, 3291, big) == 8553
    rng = random.Random(0)
    for _ in range(500):
        assert num_image_tokens(rng.randint(1, 4000), rng.randint(1, 4000), big) <= worst


def test_token_count_matches_the_processor(tiny_loaded, big) -> None:
    processor = tiny_loaded.processor
    rng = random.Random(1)
    sizes = [(rng.randint(8, 3000), rng.randint(8, 3000)) for _ in range(300)]
    sizes += [(100, 800), (800, 100), (20, 2000), (2000, 20), (768, 1920), (1920, 768), (384, 384)]
    for h, w in sizes:
        assert num_image_tokens(h, w, big) == processor._get_number_of_features(h, w, 384, 384), (h, w)
