"""The tiny checkpoint: small, same architecture, real tokenizer with VARCO's special tokens."""

from __future__ import annotations

import json
from pathlib import Path

from vlm.prompts import render_chat, user_turn
from vlm.tiny import ADDED_TOKENS, build_tokenizer
from vlm.tokens import GRO, IM_END, IM_START, IMAGE, SPECIAL_TOKENS, token_ids

LIBRARY_DEFAULT_IMAGE_ID = 151646


def test_checkpoint_is_small_and_complete(tiny_checkpoint: Path) -> None:
    names = {p.name for p in tiny_checkpoint.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "processor_config.json",
            "chat_template.jinja", "generation_config.json",
            # the layout transformers 4.x (and so vLLM) reads
            "preprocessor_config.json", "video_preprocessor_config.json"} <= names
    size = sum(p.stat().st_size for p in tiny_checkpoint.iterdir())
    assert size < 5_000_000, size


def test_image_token_id_comes_from_the_trained_tokenizer(tiny_checkpoint: Path, tiny_loaded) -> None:
    config = json.loads((tiny_checkpoint / "config.json").read_text())
    tok_id = tiny_loaded.tokenizer.convert_tokens_to_ids(IMAGE)
    assert config["image_token_index"] == tok_id == tiny_loaded.token_ids.image
    assert tok_id != LIBRARY_DEFAULT_IMAGE_ID
    assert config["model_type"] == "llava_onevision"
    assert config["architectures"] == ["LlavaOnevisionForConditionalGeneration"]
    # The embedding table covers every token id the tokenizer can produce.
    assert config["text_config"]["vocab_size"] >= len(tiny_loaded.tokenizer)


def test_special_tokens_are_single_tokens(tiny_loaded) -> None:
    tok = tiny_loaded.tokenizer
    assert tok.encode(GRO, add_special_tokens=False) == [tok.convert_tokens_to_ids(GRO)]
    ids = token_ids(tok, SPECIAL_TOKENS)  # raises if any is missing or splits
    assert len(set(ids.values())) == len(SPECIAL_TOKENS)
    prompt = f"{IM_START}user\n{IMAGE}\n{GRO}\n매출액은?{IM_END}"
    pieces = tok.convert_ids_to_tokens(tok.encode(prompt, add_special_tokens=False))
    for special in (IM_START, IMAGE, GRO, IM_END):
        assert special in pieces


def test_tokenizer_is_a_real_korean_english_bpe(tiny_loaded) -> None:
    tok = tiny_loaded.tokenizer
    assert len(tok) > 1000
    for text in ("2023년 매출액은 3,450억 원이다.", "What is the revenue?", "<char>표 1</char><bbox>0.1, 0.2, 0.3, 0.4</bbox>"):
        ids = tok.encode(text, add_special_tokens=False)
        assert len(ids) < len(text.encode("utf-8"))  # merges learned, not raw bytes
        assert tok.decode(ids, skip_special_tokens=False) == text
    assert tok.padding_side == "left"
    assert tok.eos_token == IM_END and tok.pad_token == "<|endoftext|>"


def test_chat_template_matches_render_chat(tiny_loaded) -> None:
    messages = [user_turn(f"{GRO}\n표의 제목은?")]
    rendered = tiny_loaded.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert rendered == render_chat(messages)
    text_only = [user_turn("plan", image=False)]
    assert tiny_loaded.processor.apply_chat_template(
        text_only, add_generation_prompt=True, tokenize=False
    ) == render_chat(text_only)


def test_tokenizer_build_is_deterministic() -> None:
    a, b = build_tokenizer(seed=3), build_tokenizer(seed=3)
    assert a.get_vocab() == b.get_vocab()
    assert len(a) > 2000  # the built-in corpus alone gives a few thousand pieces
    assert all(t in a.get_vocab() for t in ADDED_TOKENS)


def test_tokenizer_config_loads_in_older_transformers(tiny_checkpoint: Path) -> None:
    cfg = json.loads((tiny_checkpoint / "tokenizer_config.json").read_text())
    assert cfg["tokenizer_class"] == "PreTrainedTokenizerFast"


def test_processor_is_the_real_anyres_one(tiny_loaded) -> None:
    proc = tiny_loaded.processor
    assert type(proc).__name__ == "LlavaOnevisionProcessor"
    assert type(proc.video_processor).__name__ == "LlavaOnevisionVideoProcessor"
    ip = proc.image_processor
    assert ip.size["height"] == 384 and len(ip.image_grid_pinpoints) == 36
    assert proc.num_image_tokens == 729 and proc.vision_aspect_ratio == "anyres_max_9"
