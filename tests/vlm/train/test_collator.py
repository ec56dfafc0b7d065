"""The collator's labels are exact, images are never truncated, packing changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoProcessor, LlavaOnevisionForConditionalGeneration

from vlm.architecture import num_image_tokens
from vlm.synth.records import Turn
from vlm.train.collator import IGNORE, Collator, assistant_mask
from vlm.train.data import Sample, Sizer, chatml
from vlm.train.losses import token_loss


@pytest.fixture(scope="module")
def processor(tiny_checkpoint: Path):
    return AutoProcessor.from_pretrained(tiny_checkpoint)


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path):
    return LlavaOnevisionForConditionalGeneration.from_pretrained(tiny_checkpoint).eval()


def _sample(tmp_path: Path, make_image, turns: list[Turn], size=(300, 200), name="a") -> Sample:
    image = None
    if any("<image>" in t.value for t in turns):
        image = tmp_path / f"{name}.png"
        make_image(*size).save(image)
    return Sample(name, "test", chatml(turns), image, 0)


def test_assistant_mask_on_ids() -> None:
    header, end = [7, 8], 9
    ids = [1, 7, 8, 4, 5, 9, 2, 1, 7, 8, 6, 9, 2]
    assert assistant_mask(ids, header, end) == [
        False, False, False, True, True, True, False, False, False, False, True, True, False]


def test_labels_are_the_assistant_replies_exactly(processor, tmp_path: Path, make_image) -> None:
    turns = [Turn("human", "<image>\n<gro>\n매출액은 얼마인가?"),
             Turn("gpt", "<char>3,450억 원</char><bbox>0.1, 0.2, 0.5, 0.3</bbox>"),
             Turn("human", "영업이익은?"), Turn("gpt", "2,810억 원")]
    collator = Collator(processor, max_image_side=1536)
    batch = collator([_sample(tmp_path, make_image, turns)])
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    tok = processor.tokenizer

    def enc(text: str) -> list[int]:
        return tok(text, add_special_tokens=False)["input_ids"]

    n_img = num_image_tokens(200, 300, LlavaOnevisionForConditionalGeneration.config_class.from_pretrained(
        processor.tokenizer.name_or_path))
    image_id = tok.convert_tokens_to_ids("<image>")
    # Built piece by piece: user turn (image expanded), header, reply + <|im_end|>, newline ...
    pieces = [(enc("<|im_start|>user\n") + [image_id] * n_img + enc("\n<gro>\n매출액은 얼마인가?<|im_end|>\n"), False),
              (enc("<|im_start|>assistant\n"), False),
              (enc("<char>3,450억 원</char><bbox>0.1, 0.2, 0.5, 0.3</bbox><|im_end|>"), True),
              (enc("\n<|im_start|>user\n영업이익은?<|im_end|>\n<|im_start|>assistant\n"), False),
              (enc("2,810억 원<|im_end|>"), True), (enc("\n"), False)]
    expected_ids = [t for p, _ in pieces for t in p]
    expected_labels = [t if keep else IGNORE for p, keep in pieces for t in p]
    assert ids == expected_ids
    assert labels == expected_labels
    assert ids.count(image_id) == n_img  # every image token is there: nothing was cut
    assert image_id not in labels


def test_batches_pad_images_and_mix_text_only(processor, tmp_path: Path, make_image) -> None:
    a = _sample(tmp_path, make_image, [Turn("human", "<image>\n설명"), Turn("gpt", "표")], (300, 200), "a")
    b = _sample(tmp_path, make_image, [Turn("human", "안녕"), Turn("gpt", "네")], name="b")
    c = _sample(tmp_path, make_image, [Turn("human", "<image>\n설명"), Turn("gpt", "차트")], (900, 1200), "c")
    batch = Collator(processor, max_image_side=1536)([a, b, c])
    assert batch["input_ids"].shape[0] == 3
    assert batch["pixel_values"].shape[0] == 2  # the text-only sample brings no image
    assert batch["image_sizes"].tolist() == [[200, 300], [1200, 900]]
    assert batch["attention_mask"][1].sum() < batch["attention_mask"][0].sum()


def test_packed_rows_give_the_padded_loss(processor, model, tmp_path: Path, make_image) -> None:
    samples = [
        _sample(tmp_path, make_image, [Turn("human", "<image>\n<ocr>"), Turn("gpt", "<char>가나</char>")], (300, 200), "p"),
        _sample(tmp_path, make_image, [Turn("human", "한 줄 요약"), Turn("gpt", "요약입니다")], name="q"),
        _sample(tmp_path, make_image, [Turn("human", "<image>\n무엇?"), Turn("gpt", "막대 그래프")], (500, 400), "r"),
    ]
    padded = Collator(processor, max_image_side=1536)(samples)
    packed = Collator(processor, max_image_side=1536, pack=True)(samples)
    assert packed["input_ids"].shape[0] == 1 and "attention_mask" not in packed
    assert packed["input_ids"].shape[1] == int(padded["attention_mask"].sum())
    with torch.no_grad():
        lp = {k: v for k, v in padded.items() if k != "labels"}
        pk = {k: v for k, v in packed.items() if k != "labels"}
        s1, n1 = token_loss(model(**lp, use_cache=False).logits, padded["labels"])
        s2, n2 = token_loss(model(**pk, use_cache=False).logits, packed["labels"])
    assert n1 == n2 > 0
    assert float(s1 / n1) == pytest.approx(float(s2 / n2), rel=1e-4)  # no sample saw another


def test_sizer_counts_what_the_processor_makes(processor, tmp_path: Path, make_image) -> None:
    config = LlavaOnevisionForConditionalGeneration.config_class.from_pretrained(processor.tokenizer.name_or_path)
    sizer = Sizer(processor.tokenizer, config, max_side=768)
    s = _sample(tmp_path, make_image, [Turn("human", "<image>\n설명해 주세요"), Turn("gpt", "문서입니다")], (1000, 700))
    s.tokens = sizer.text_tokens(s.text) + sizer.image_tokens(s.image)
    real = Collator(processor, max_image_side=768)([s])["input_ids"].shape[1]
    assert abs(s.tokens - real) <= 2
