"""VARCO-VISION's special tokens, as strings, and a lookup of their ids in a loaded tokenizer.

The strings are fixed by the model; the ids are not: they depend on the checkpoint's vocabulary
(VARCO-VISION-14B-HF puts ``<image>`` at a different id than the library default), so ids are
always read from the tokenizer at run time with :func:`token_ids`, never written down here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vlm.errors import MissingTokenError

IMAGE = "<image>"
"""Placeholder for one image in the prompt; the processor expands it into image features."""
GRO = "<gro>"
"""Task token: answer with grounding (boxes)."""
OCR = "<ocr>"
"""Task token: read all text with its boxes."""
CHAR_OPEN = "<char>"
CHAR_CLOSE = "</char>"
OBJ_OPEN = "<obj>"
OBJ_CLOSE = "</obj>"
BBOX_OPEN = "<bbox>"
BBOX_CLOSE = "</bbox>"
DELIM = "<delim>"
"""Separates several boxes inside one ``<bbox>…</bbox>``."""
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
"""End of a ChatML turn; generation stops here."""

TASK_TOKENS: list[str] = [GRO, OCR]
"""Tokens that select a task when they open the user's text."""

MARKUP_TOKENS: list[str] = [CHAR_OPEN, CHAR_CLOSE, OBJ_OPEN, OBJ_CLOSE, BBOX_OPEN, BBOX_CLOSE, DELIM]
"""Tokens that mark spans and boxes, in prompts (referring) and in answers (grounding, OCR)."""

CHAT_TOKENS: list[str] = [IM_START, IM_END]

SPECIAL_TOKENS: list[str] = [IMAGE, *TASK_TOKENS, *MARKUP_TOKENS, *CHAT_TOKENS]
"""Every token string the prompts and the parser rely on."""


def token_ids(tokenizer: Any, tokens: Iterable[str] = SPECIAL_TOKENS) -> dict[str, int]:
    """Map each token string to its id in ``tokenizer`` (a transformers tokenizer or processor).

    A token counts as missing when the tokenizer returns no id, returns the unknown-token id,
    or would split the string into several pieces. Raises :class:`MissingTokenError` naming the
    first missing token.
    """
    tok = getattr(tokenizer, "tokenizer", tokenizer)  # a processor wraps its tokenizer
    unk_token = getattr(tok, "unk_token", None)
    unk_id = getattr(tok, "unk_token_id", None)
    out: dict[str, int] = {}
    for token in tokens:
        try:
            tid = tok.convert_tokens_to_ids(token)
        except (KeyError, ValueError, TypeError) as exc:
            raise MissingTokenError(token, f"lookup failed ({exc})") from exc
        if tid is None or isinstance(tid, list):
            raise MissingTokenError(token, "not in the vocabulary")
        if unk_id is not None and tid == unk_id and token != unk_token:
            raise MissingTokenError(token, "maps to the unknown token")
        encode = getattr(tok, "encode", None)
        if callable(encode):
            pieces = encode(token, add_special_tokens=False)
            if list(pieces) != [tid]:
                raise MissingTokenError(
                    token, f"encodes to {list(pieces)}, not the single id {tid} (not an added token?)"
                )
        out[token] = int(tid)
    return out
