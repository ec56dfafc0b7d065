"""ChatML strings, task builders, referring boxes and chat-completions messages."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from indexing.geometry import Box, CoordinateSpaceError, Space
from vlm import prompts
from vlm.prompts import (
    format_box,
    format_number,
    grounding_prompt,
    image_data_url,
    ocr_prompt,
    openai_messages,
    qa_content,
    qa_prompt,
    referring_content,
    referring_prompt,
    render_chat,
    text_prompt,
)

ASSISTANT = "<|im_start|>assistant\n"


def test_qa_prompt_grounded_is_the_documented_string() -> None:
    assert qa_prompt("매출액은?") == (
        "<|im_start|>user\n<image>\n<gro>\n매출액은?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_qa_prompt_without_grounding() -> None:
    assert qa_prompt("What is shown?", grounding=False) == (
        "<|im_start|>user\n<image>\nWhat is shown?<|im_end|>\n" + ASSISTANT
    )


def test_ocr_and_grounding_prompts() -> None:
    assert ocr_prompt() == "<|im_start|>user\n<image>\n<ocr><|im_end|>\n" + ASSISTANT
    assert grounding_prompt() == (
        "<|im_start|>user\n<image>\n<gro>\nDescribe the image in detail.<|im_end|>\n" + ASSISTANT
    )


def test_text_prompt_has_no_image_and_no_task_token() -> None:
    assert text_prompt("Plan the steps.") == "<|im_start|>user\nPlan the steps.<|im_end|>\n" + ASSISTANT


def test_system_prompt_is_opt_in() -> None:
    assert "system" not in qa_prompt("q")
    assert qa_prompt("q", system=prompts.DEFAULT_SYSTEM) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<image>\n<gro>\nq<|im_end|>\n" + ASSISTANT
    )


def test_render_chat_multi_turn_images_first_and_no_generation_prompt() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "<ocr>"}, {"type": "image"}]},
        {"role": "assistant", "content": "<char>A</char><bbox>0.1, 0.1, 0.2, 0.2</bbox>"},
    ]
    out = render_chat(messages, add_generation_prompt=False, system="ignored: one is given")
    assert out == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n<image>\n<ocr><|im_end|>\n"
        "<|im_start|>assistant\n<char>A</char><bbox>0.1, 0.1, 0.2, 0.2</bbox><|im_end|>\n"
    )


def test_render_chat_rejects_unknown_parts_and_missing_roles() -> None:
    with pytest.raises(ValueError, match="video"):
        render_chat([{"role": "user", "content": [{"type": "video"}]}])
    with pytest.raises(ValueError, match="role"):
        render_chat([{"content": "hi"}])


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.51, "0.51"), (0.014, "0.014"), (0.0, "0.0"), (1.0, "1.0"), (0.12345, "0.123"),
     (0.9996, "1.0"), (0.1, "0.1")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_referring_char_matches_the_notes() -> None:
    box = Box(0.162, 0.076, 0.71, 0.275, Space.NORM)
    assert referring_content("이곳에", box, "써있는 글자를 읽어주세요.") == (
        "<char>이곳에</char><bbox>0.162, 0.076, 0.71, 0.275</bbox> 써있는 글자를 읽어주세요."
    )


def test_referring_obj_prompt_rounds_and_clips() -> None:
    box = Box(-0.0001, 0.13849, 0.28333, 1.2, Space.NORM)
    assert referring_prompt("이 물건", box, "어떻게 쓰는거야?", kind="obj") == (
        "<|im_start|>user\n<image>\n"
        "<obj>이 물건</obj><bbox>0.0, 0.138, 0.283, 1.0</bbox> 어떻게 쓰는거야?<|im_end|>\n" + ASSISTANT
    )


def test_referring_rejects_non_normalised_boxes_and_bad_kind() -> None:
    with pytest.raises(CoordinateSpaceError):
        format_box(Box(10, 10, 20, 20, Space.PIXEL))
    with pytest.raises(ValueError):
        referring_content("x", Box(0, 0, 1, 1, Space.NORM), "q", kind="word")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_box(Box(0, 0, float("nan"), 1, Space.NORM))


def _decode(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_openai_messages_carry_image_and_task_tokens() -> None:
    img = Image.new("RGB", (40, 20), "white")
    msgs = openai_messages(qa_content("합계는?"), img)
    assert len(msgs) == 1 and msgs[0]["role"] == "user"
    image_part, text_part = msgs[0]["content"]
    assert image_part["type"] == "image_url"
    assert _decode(image_part["image_url"]["url"]).size == (40, 20)
    assert text_part == {"type": "text", "text": "<gro>\n합계는?"}


def test_openai_messages_text_only_and_system() -> None:
    msgs = openai_messages("Plan.", system="Be brief.")
    assert msgs == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Plan."}]


def test_image_data_url_downscales_keeping_aspect() -> None:
    img = Image.new("RGB", (1000, 250), "red")
    assert _decode(image_data_url(img, max_side=400)).size == (400, 100)
    assert _decode(image_data_url(img, max_side=2000)).size == (1000, 250)
    cmyk = Image.new("CMYK", (8, 8))
    assert _decode(image_data_url(cmyk)).mode == "RGB"
