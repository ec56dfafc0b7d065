"""load_model: one path for every checkpoint, token ids read from it, clear errors otherwise."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from vlm.config import VLMConfig
from vlm.loading import MissingDependencyError, ModelLoadError, load_model, load_model_config
from vlm.tokens import CHAR_OPEN, GRO, IM_END, IM_START, IMAGE, OCR


def _cfg(model: str | Path, **kw) -> VLMConfig:
    return VLMConfig(model=str(model), device_map="cpu", dtype="float32", local_files_only=True, **kw)


def test_loads_model_processor_and_ids(tiny_loaded, tiny_checkpoint: Path) -> None:
    lm = tiny_loaded
    assert type(lm.model).__name__ == "LlavaOnevisionForConditionalGeneration"
    assert lm.source == str(tiny_checkpoint)
    assert str(lm.device) == "cpu" and str(lm.dtype) == "torch.float32"
    tok = lm.tokenizer
    ids = lm.token_ids
    assert ids.image == tok.convert_tokens_to_ids(IMAGE) == lm.model.config.image_token_id
    assert ids.im_end == tok.convert_tokens_to_ids(IM_END) and ids.eos[0] == ids.im_end
    assert ids.im_start == tok.convert_tokens_to_ids(IM_START)
    assert ids.pad == tok.pad_token_id
    for t in (GRO, OCR, CHAR_OPEN):
        assert ids.special[t] == tok.convert_tokens_to_ids(t)
    assert {ids.im_start, ids.im_end, ids.pad} <= ids.strip_ids and ids.special[GRO] not in ids.strip_ids
    assert tok.padding_side == "left"
    assert not lm.model.training


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(_cfg(tmp_path / "nope"))


def test_directory_without_config(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(_cfg(tmp_path))


def test_uncached_hub_id_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelLoadError, match="local_files_only"):
        load_model_config(VLMConfig(model="no-such-org/no-such-model", local_files_only=True))


def test_other_architecture_is_refused(tmp_path: Path) -> None:
    from transformers import Qwen2Config

    Qwen2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, vocab_size=64).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="'qwen2' checkpoint.*not 'llava_onevision'"):
        load_model(_cfg(tmp_path))


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_tokenizer_without_image_token(tiny_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = _copy(tiny_checkpoint, tmp_path / "ck")
    tj = json.loads((ckpt / "tokenizer.json").read_text())
    tj["added_tokens"] = [t for t in tj["added_tokens"] if t["content"] != IMAGE]
    (ckpt / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    with pytest.raises(ModelLoadError, match="<image>"):
        load_model(_cfg(ckpt))


def test_config_and_tokenizer_disagree_on_image_id(tiny_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = _copy(tiny_checkpoint, tmp_path / "ck")
    cfg = json.loads((ckpt / "config.json").read_text())
    cfg["image_token_index"] = 151646  # the library default, wrong for this tokenizer
    (ckpt / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="image_token_index=151646"):
        load_model(_cfg(ckpt))


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is not None, reason="bitsandbytes installed")
def test_quantization_without_bitsandbytes(tiny_checkpoint: Path) -> None:
    cfg = VLMConfig(model=str(tiny_checkpoint), device_map="cuda", quantization="4bit", local_files_only=True)
    with pytest.raises(MissingDependencyError, match=r"pip install 'docagent\[gpu\]'"):
        load_model(cfg)
