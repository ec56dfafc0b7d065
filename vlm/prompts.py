"""Prompts for VARCO-VISION: ChatML rendering, task builders, and OpenAI-style messages.

Two layers:

- *content builders* (``qa_content``, ``grounding_content``, ``ocr_content``,
  ``referring_content``) return the text of the user's turn with VARCO's task tokens;
- *prompt helpers* (``qa_prompt``, ``grounding_prompt``, ``ocr_prompt``, ``referring_prompt``,
  ``text_prompt``) render a whole single-turn ChatML prompt, ending with the assistant header,
  for backends that feed raw text to the model (transformers, vLLM offline).

``openai_messages`` builds the same turn for a chat-completions endpoint, which applies the
checkpoint's own chat template: the image travels as a ``data:image/png;base64,...`` part and
the text part carries the same task tokens (the server inserts ``<image>`` itself).

ChatML here: ``<|im_start|>{role}\\n{content}<|im_end|>\\n`` per message; a user message's
images are rendered first, as ``<image>\\n`` each. No system turn unless one is asked for (the
notes assume none). The checkpoint's own template adds Qwen's default system prompt
(``DEFAULT_SYSTEM``) when a conversation has none; pass ``system=DEFAULT_SYSTEM`` to match it.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any, Literal

from PIL import Image

from indexing.geometry import Box, CoordinateSpaceError, Space
from vlm.tokens import (
    BBOX_CLOSE,
    BBOX_OPEN,
    CHAR_CLOSE,
    CHAR_OPEN,
    GRO,
    IM_END,
    IM_START,
    IMAGE,
    OBJ_CLOSE,
    OBJ_OPEN,
    OCR,
)

DEFAULT_SYSTEM = "You are a helpful assistant."
"""Qwen's default system prompt, which the HF checkpoint's chat template inserts on its own."""

DESCRIBE_INSTRUCTION = "Describe the image in detail."
"""The grounding instruction of the model card (``<gro>\\nDescribe the image in detail.``)."""

Message = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# ChatML


def _render_content(content: Any) -> str:
    """Render one message's content: a string, or a list of ``{"type": ...}`` parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    images = 0
    texts: list[str] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
            continue
        kind = part.get("type")
        if kind in ("image", "image_url"):
            images += 1
        elif kind == "text":
            texts.append(str(part.get("text", "")))
        else:
            raise ValueError(f"unknown content part type {kind!r}")
    return f"{IMAGE}\n" * images + "".join(texts)


def render_chat(
    messages: list[Message], add_generation_prompt: bool = True, system: str | None = None
) -> str:
    """Render messages as Qwen ChatML.

    Each message is ``{"role": ..., "content": str | list[part]}``; a part is
    ``{"type": "image"}`` (or ``"image_url"``) or ``{"type": "text", "text": ...}``. Images are
    rendered first as ``<image>\\n`` each, then the text parts, concatenated. ``system``, when
    given and the conversation does not open with a system message, is prepended as a system
    turn. ``add_generation_prompt`` appends ``<|im_start|>assistant\\n``.
    """
    out: list[str] = []
    if system is not None and not (messages and messages[0].get("role") == "system"):
        out.append(f"{IM_START}system\n{system}{IM_END}\n")
    for msg in messages:
        role = msg.get("role")
        if not role:
            raise ValueError(f"message without a role: {msg!r}")
        out.append(f"{IM_START}{role}\n{_render_content(msg.get('content'))}{IM_END}\n")
    if add_generation_prompt:
        out.append(f"{IM_START}assistant\n")
    return "".join(out)


def user_turn(text: str, image: bool = True) -> Message:
    """A user message with one image placeholder (or none) followed by ``text``."""
    parts: list[dict[str, str]] = [{"type": "image"}] if image else []
    parts.append({"type": "text", "text": text})
    return {"role": "user", "content": parts}


# ---------------------------------------------------------------------------------------------
# Boxes in prompts


def format_number(value: float) -> str:
    """A coordinate as the model writes it: at most 3 decimals, no trailing zeros (``0.51``)."""
    text = f"{round(value, 3):.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def format_box(box: Box) -> str:
    """``x1, y1, x2, y2`` of a ``Space.NORM`` box, clipped to [0, 1], up to 3 decimals."""
    if box.space != Space.NORM:
        raise CoordinateSpaceError(f"a box in a prompt must be normalised, got a {box.space} box")
    vals = [box.x0, box.y0, box.x1, box.y1]
    if not all(math.isfinite(v) for v in vals):
        raise ValueError(f"box has a non-finite coordinate: {vals}")
    return ", ".join(format_number(min(max(v, 0.0), 1.0) + 0.0) for v in vals)  # + 0.0: no "-0.0"


# ---------------------------------------------------------------------------------------------
# User-turn content


def qa_content(question: str, grounding: bool = True) -> str:
    """A question about the image; with ``grounding`` the answer should carry boxes."""
    return f"{GRO}\n{question}" if grounding else question


def grounding_content(instruction: str = DESCRIBE_INSTRUCTION) -> str:
    """Grounded description (the model card's grounding task): ``<gro>\\n{instruction}``."""
    return f"{GRO}\n{instruction}"


def ocr_content() -> str:
    """OCR: the task token alone; the answer is one ``<char>…</char><bbox>…</bbox>`` a line."""
    return OCR


def referring_content(
    text: str, box: Box, question: str, kind: Literal["char", "obj"] = "char"
) -> str:
    """A question about a region: ``<char>text</char><bbox>x1, y1, x2, y2</bbox> question``.

    ``kind="obj"`` marks an object instead of text. ``box`` must be in ``Space.NORM``.
    """
    if kind == "char":
        open_, close = CHAR_OPEN, CHAR_CLOSE
    elif kind == "obj":
        open_, close = OBJ_OPEN, OBJ_CLOSE
    else:
        raise ValueError(f"kind must be 'char' or 'obj', got {kind!r}")
    ref = f"{open_}{text}{close}{BBOX_OPEN}{format_box(box)}{BBOX_CLOSE}"
    return f"{ref} {question}" if question else ref


# ---------------------------------------------------------------------------------------------
# Whole prompts (single turn, ending with the assistant header)


def qa_prompt(question: str, grounding: bool = True, system: str | None = None) -> str:
    """``<|im_start|>user\\n<image>\\n<gro>\\n{question}<|im_end|>\\n<|im_start|>assistant\\n``."""
    return render_chat([user_turn(qa_content(question, grounding))], system=system)


def grounding_prompt(instruction: str = DESCRIBE_INSTRUCTION, system: str | None = None) -> str:
    return render_chat([user_turn(grounding_content(instruction))], system=system)


def ocr_prompt(system: str | None = None) -> str:
    return render_chat([user_turn(ocr_content())], system=system)


def referring_prompt(
    text: str,
    box: Box,
    question: str,
    kind: Literal["char", "obj"] = "char",
    system: str | None = None,
) -> str:
    return render_chat([user_turn(referring_content(text, box, question, kind))], system=system)


def text_prompt(prompt: str, system: str | None = None) -> str:
    """A text-only turn (planning, synthesis): no image, no task token."""
    return render_chat([user_turn(prompt, image=False)], system=system)


# ---------------------------------------------------------------------------------------------
# OpenAI chat-completions messages


def image_data_url(image: Image.Image, max_side: int | None = None) -> str:
    """PNG ``data:`` URL of ``image``, downscaled (aspect kept) if its longer side exceeds
    ``max_side``."""
    img = image
    if max_side is not None and max(img.size) > max_side:
        scale = max_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS)
    if img.mode not in ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def openai_messages(
    text: str,
    image: Image.Image | None = None,
    system: str | None = None,
    max_side: int | None = None,
) -> list[Message]:
    """Chat-completions ``messages`` for one user turn: an optional image part then ``text``.

    ``text`` is a content builder's output (e.g. ``qa_content(q)``), so the task tokens travel in
    the text part. ``system``, when given, becomes a system message.
    """
    messages: list[Message] = []
    if system is not None:
        messages.append({"role": "system", "content": system})
    if image is None:
        messages.append({"role": "user", "content": text})
        return messages
    url = image_data_url(image, max_side)
    messages.append({
        "role": "user",
        "content": [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "text", "text": text},
        ],
    })
    return messages
