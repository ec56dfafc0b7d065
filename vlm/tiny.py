"""Tiny, randomly initialised checkpoints of the VARCO-VISION architecture (tests, CPU benches).

:func:`build_tiny_checkpoint` writes a directory that ``vlm.loading.load_model`` loads exactly
like ``NCSOFT/VARCO-VISION-14B-HF``: a ``LlavaOnevisionForConditionalGeneration`` (SigLIP 2
layers hidden 32, projector, Qwen2 2 layers hidden 32) built by the same
:func:`vlm.architecture.llava_onevision_config` as the 14B, the real AnyRes image processor
(384-pixel tiles, 1x1..6x6 pinpoints, ``anyres_max_9``), a video processor (the processor
class requires one), and a byte-level BPE tokenizer trained here on a small Korean + English
corpus, with ChatML and VARCO's task tokens added as special tokens after the learned vocabulary
(Qwen's layout). The image token's id is whatever that gives, and it is written into the model
config: nothing downstream may assume 151646.

:func:`write_config_only_checkpoint` writes the same files without weights for any sizes (the
14B for ``load_format="dummy"`` benchmarks).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from vlm.architecture import (
    TINY_TEXT,
    TINY_VISION,
    VARCO_14B_TEXT,
    VARCO_14B_VISION,
    TextSizes,
    VisionSizes,
    llava_onevision_config,
)
from vlm.tokens import IM_END, IM_START, IMAGE, MARKUP_TOKENS, TASK_TOKENS

PAD = "<|endoftext|>"
VIDEO = "<video>"
# Qwen's order first, then VARCO's tokens; <image> deliberately not at a round offset.
ADDED_TOKENS: list[str] = [PAD, IM_START, IM_END, *TASK_TOKENS, *MARKUP_TOKENS, IMAGE, VIDEO]

# ChatML, images first as "<image>\n" each, like vlm.prompts.render_chat.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for part in message['content'] %}{% if part['type'] in ['image', 'image_url'] %}{{ '<image>\n' }}{% endif %}{% endfor %}"
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}"
    "{% endif %}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_BASE_CORPUS = """\
2023년 매출액은 3,450억 원으로 전년 대비 12.5% 증가했다.
영업이익은 2,810억 원, 당기순이익은 3,067억 원을 기록하였다.
표 1은 연도별 매출액과 영업이익을 나타낸다. 그림 2는 분기별 추이를 보여준다.
이 문서는 개인정보 보호법 제15조에 따라 작성되었습니다.
위 표에서 가장 높은 값은 무엇인가요? 근거가 되는 위치를 함께 알려주세요.
이곳에 써있는 글자를 읽어주세요. 답변할 수 없는 질문이면 그렇다고 말해주세요.
회사명, 대표자, 주소, 전화번호, 사업자등록번호를 확인하십시오.
물질안전보건자료: 제품명, 유해성·위험성, 응급조치 요령, 폭발·화재 시 대처방법.
특허청구범위 제1항에 있어서, 상기 장치는 센서와 제어부를 포함하는 것을 특징으로 한다.
국회 의안 제2125318호: 일부개정법률안의 제안 이유 및 주요 내용.
펀드 수익률은 최근 1개월 2.1%, 3개월 4.8%, 6개월 -1.3%, 1년 7.9%이다.
서울특별시 중구 세종대로 110, 대한민국. 문의: 02-120.
The revenue for fiscal year 2023 was 345 billion won, up 12.5% from the previous year.
Table 1 shows revenue and operating profit by year; Figure 2 shows the quarterly trend.
What is the highest value in the table? Give the location of the evidence as a box.
Read the text written in this region. If the question cannot be answered, say so.
Describe the image in detail. The chart compares three products across four quarters.
Company name, representative, address, phone number and registration number are listed.
Safety data sheet: product name, hazards, first-aid measures, fire-fighting measures.
user assistant system user assistant system
<char>매출액</char><bbox>0.162, 0.076, 0.71, 0.275</bbox>
<obj>two cats</obj><bbox>0.014, 0.106, 0.51, 0.996<delim>0.51, 0.054, 0.996, 0.787</bbox>
"""


def default_corpus(seed: int = 0) -> list[str]:
    """Built-in training text (about 2.3k BPE pieces): document-style Korean and English, its
    words recombined so each recurs, and numbers, dates and box strings so digits and
    ``x, y, x, y`` merge like they do in real output."""
    rng = random.Random(seed)
    lines = [ln for ln in _BASE_CORPUS.splitlines() if ln.strip()]
    words = " ".join(lines).split()
    out = list(lines)
    for _ in range(1500):
        box = ", ".join(f"{rng.random():.3f}".rstrip("0") for _ in range(4))
        out.append(
            f"<char>{rng.randint(1, 99_999):,}억 원</char><bbox>{box}</bbox> {rng.randint(1990, 2030)}년 "
            f"{rng.randint(1, 12)}월 {rng.randint(1, 31)}일 {rng.uniform(-50, 50):.1f}%"
        )
        out.append(" ".join(rng.choice(words) for _ in range(12)))
    return out


def squad_corpus(path: Path, limit: int | None = None) -> list[str]:
    """Contexts and questions of a SQuAD-format JSON file (e.g. KorQuAD), in file order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    texts: list[str] = []
    for article in data.get("data", []):
        for para in article.get("paragraphs", []):
            texts.append(para.get("context", ""))
            texts.extend(qa.get("question", "") for qa in para.get("qas", []))
    return [t for t in texts if t][:limit]


def build_tokenizer(corpus: Iterable[str] | None = None, vocab_size: int = 4096, seed: int = 0) -> Any:
    """Train a byte-level BPE tokenizer and add ChatML/VARCO tokens as special tokens.

    Returns a transformers fast tokenizer (eos ``<|im_end|>``, pad ``<|endoftext|>``, left padding).
    The learned vocabulary may stay below ``vocab_size`` when the corpus is small.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = default_corpus(seed) + [t for t in (corpus or []) if t]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    tok.add_special_tokens(ADDED_TOKENS)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=IM_END, pad_token=PAD, padding_side="left",
        model_max_length=32_768, chat_template=CHAT_TEMPLATE,
    )


def build_processor(tokenizer: Any, vision: VisionSizes, pinpoints: list[list[int]]) -> Any:
    """The LLaVA-OneVision processor for ``tokenizer`` with AnyRes tiles of ``vision.image_size``."""
    from transformers import (
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    tile = {"height": vision.image_size, "width": vision.image_size}
    return LlavaOnevisionProcessor(
        image_processor=LlavaOnevisionImageProcessor(size=tile, image_grid_pinpoints=pinpoints),
        tokenizer=tokenizer,
        video_processor=LlavaOnevisionVideoProcessor(size=tile),
        num_image_tokens=(vision.image_size // vision.patch_size) ** 2,
        vision_feature_select_strategy="full",
        chat_template=CHAT_TEMPLATE,
        image_token=IMAGE,
        video_token=VIDEO,
        vision_aspect_ratio="anyres_max_9",
    )


def write_processor_files(processor: Any, out_dir: Path) -> None:
    """Save tokenizer and processor; add the file layout transformers 4.x reads (what vLLM may
    pin): the image/video processors in their own files, the older tokenizer class name."""
    processor.save_pretrained(out_dir)
    processor.image_processor.save_pretrained(out_dir)  # preprocessor_config.json
    processor.video_processor.save_pretrained(out_dir)  # video_preprocessor_config.json
    cfg_path = out_dir / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")


def save_config(config: Any, out_dir: Path) -> None:
    """``config.json`` with the 4.x spelling of RoPE's base next to the 5.x one."""
    config.save_pretrained(out_dir)
    path = out_dir / "config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    text = data.get("text_config", {})
    theta = (text.get("rope_parameters") or {}).get("rope_theta")
    if theta is not None:
        text.setdefault("rope_theta", theta)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _config_for(tokenizer: Any, vision: VisionSizes, text: TextSizes) -> Any:
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in (IMAGE, VIDEO, IM_END, PAD)}
    if text.vocab_size < len(tokenizer):
        # Round up like Qwen2.5 does (151,665 tokens -> 152,064 rows).
        text = replace(text, vocab_size=-(-len(tokenizer) // 64) * 64)
    return llava_onevision_config(
        vision, text, image_token_index=ids[IMAGE], video_token_index=ids[VIDEO],
        eos_token_id=ids[IM_END], pad_token_id=ids[PAD],
    )


def _generation_config(config: Any) -> Any:
    from transformers import GenerationConfig

    return GenerationConfig(
        eos_token_id=config.text_config.eos_token_id, pad_token_id=config.text_config.pad_token_id,
        do_sample=False, max_new_tokens=128,
    )


def build_tiny_checkpoint(
    out_dir: Path,
    seed: int = 0,
    *,
    corpus: Iterable[str] | None = None,
    vocab_size: int = 4096,
    vision: VisionSizes = TINY_VISION,
    text: TextSizes = TINY_TEXT,
) -> Path:
    """Write a tiny random LLaVA-OneVision checkpoint (float32, about 1-2 MB) to ``out_dir``.

    ``corpus`` adds tokenizer training text (e.g. :func:`squad_corpus` of KorQuAD) to the
    built-in one. The same ``seed`` and corpus give the same files.
    """
    import torch
    from transformers import LlavaOnevisionForConditionalGeneration

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(corpus, vocab_size=vocab_size, seed=seed)
    config = _config_for(tokenizer, vision, text)
    processor = build_processor(tokenizer, vision, config.image_grid_pinpoints)
    torch.manual_seed(seed)
    model = LlavaOnevisionForConditionalGeneration(config).to(torch.float32).eval()
    model.generation_config = _generation_config(config)
    model.save_pretrained(out_dir)
    save_config(model.config, out_dir)
    write_processor_files(processor, out_dir)
    return out_dir


def write_config_only_checkpoint(
    out_dir: Path,
    vision: VisionSizes = VARCO_14B_VISION,
    text: TextSizes = VARCO_14B_TEXT,
    seed: int = 0,
) -> Path:
    """Config, generation config, tokenizer and processor, no weights: the 14B by default.

    vLLM serves it with ``load_format="dummy"``; transformers builds it with ``from_config``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(vocab_size=4096, seed=seed)
    config = _config_for(tokenizer, vision, text)
    config.architectures = ["LlavaOnevisionForConditionalGeneration"]
    config.dtype = "bfloat16"
    save_config(config, out_dir)
    _generation_config(config).save_pretrained(out_dir)
    write_processor_files(build_processor(tokenizer, vision, config.image_grid_pinpoints), out_dir)
    return out_dir
