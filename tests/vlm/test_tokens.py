"""Special-token constants and their id lookup in a real (tiny) tokenizer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from vlm import tokens
from vlm.errors import MissingTokenError
from vlm.tokens import SPECIAL_TOKENS, TASK_TOKENS, token_ids


def _tokenizer(vocab: dict[str, int], added: list[str]) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")
    fast.add_tokens(added, special_tokens=True)
    return fast


def test_constants_are_the_model_strings() -> None:
    assert (tokens.IMAGE, tokens.GRO, tokens.OCR) == ("<image>", "<gro>", "<ocr>")
    assert (tokens.CHAR_OPEN, tokens.CHAR_CLOSE) == ("<char>", "</char>")
    assert (tokens.OBJ_OPEN, tokens.OBJ_CLOSE) == ("<obj>", "</obj>")
    assert (tokens.BBOX_OPEN, tokens.BBOX_CLOSE, tokens.DELIM) == ("<bbox>", "</bbox>", "<delim>")
    assert (tokens.IM_START, tokens.IM_END) == ("<|im_start|>", "<|im_end|>")
    assert TASK_TOKENS == ["<gro>", "<ocr>"]
    assert len(SPECIAL_TOKENS) == len(set(SPECIAL_TOKENS)) == 12


def test_token_ids_read_from_the_tokenizer() -> None:
    vocab = {"[UNK]": 0, "hello": 1, "world": 2}
    tok = _tokenizer(vocab, SPECIAL_TOKENS)
    ids = token_ids(tok)
    assert set(ids) == set(SPECIAL_TOKENS)
    for token, tid in ids.items():
        assert tok.convert_ids_to_tokens(tid) == token
    assert len(set(ids.values())) == len(ids)
    # a processor-like object that wraps its tokenizer works too
    assert token_ids(SimpleNamespace(tokenizer=tok), ["<gro>"]) == {"<gro>": ids["<gro>"]}


def test_ids_depend_on_the_tokenizer_not_on_constants() -> None:
    a = token_ids(_tokenizer({"[UNK]": 0}, SPECIAL_TOKENS))
    b = token_ids(_tokenizer({"[UNK]": 0, "x": 1, "y": 2, "z": 3}, SPECIAL_TOKENS[::-1]))
    assert a["<image>"] != b["<image>"]


def test_missing_token_is_named() -> None:
    tok = _tokenizer({"[UNK]": 0}, [t for t in SPECIAL_TOKENS if t != "<delim>"])
    with pytest.raises(MissingTokenError, match="<delim>") as info:
        token_ids(tok)
    assert info.value.token == "<delim>"
    assert isinstance(info.value, ValueError)


def test_token_in_vocab_but_not_added_is_rejected() -> None:
    # "<gro>" is a vocabulary entry, but the pre-tokenizer splits the string, so text
    # containing "<gro>" would never produce that id: treat it as missing.
    tok = _tokenizer({"[UNK]": 0, "<gro>": 1}, [])
    with pytest.raises(MissingTokenError, match="encodes to"):
        token_ids(tok, ["<gro>"])


def test_tokenizer_that_returns_none() -> None:
    class NoneTokenizer:
        unk_token_id = None

        def convert_tokens_to_ids(self, token: str) -> None:
            return None

    with pytest.raises(MissingTokenError, match="not in the vocabulary"):
        token_ids(NoneTokenizer(), ["<ocr>"])
