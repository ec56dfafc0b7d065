"""The characters an OCR model writes, read from its traineddata file."""

from __future__ import annotations

import struct

from indexing.ocr_charset import LSTM_UNICHARSET, characters_in, model_characters, unreadable


def traineddata(chars: list[str]) -> bytes:
    """A model file with a version string and an LSTM character set, nothing else."""
    unicharset = "\n".join([str(len(chars) + 1), "NULL 0 Common 0", *(f"{c} 1 Hangul 0" for c in chars)])
    parts = {LSTM_UNICHARSET: unicharset.encode(), 23: b"4.00.00alpha:test"}
    entries = 24
    offsets, body, at = [-1] * entries, b"", 4 + 8 * entries
    for i in sorted(parts):
        offsets[i], body, at = at, body + parts[i], at + len(parts[i])
    return struct.pack(f"<i{entries}q", entries, *offsets) + body


def test_the_character_set_is_read_from_the_model_file(tmp_path):
    (tmp_path / "tst.traineddata").write_bytes(traineddata(["가", "솔", "군"]))
    known = characters_in(tmp_path / "tst.traineddata")
    assert known == {"NULL", "가", "솔", "군"}
    assert unreadable("솔뫼군 가나", known=known) == ["뫼", "나"]
    assert unreadable("Latin 123", known=known) == []  # only Hangul syllables are judged


def test_a_missing_or_broken_model_knows_nothing(tmp_path):
    (tmp_path / "bad.traineddata").write_bytes(b"\x01\x00")
    assert characters_in(tmp_path / "bad.traineddata") == frozenset()
    assert characters_in(tmp_path / "absent.traineddata") == frozenset()
    assert unreadable("솔뫼군", known=frozenset()) == []
    assert model_characters("no-such-language") == frozenset()


def test_debian_s_korean_model_lacks_half_of_ks_x_1001():
    hangul = {c for c in model_characters("kor") if "가" <= c <= "힣"}
    assert 1000 < len(hangul) < 2350 and {"가", "한", "솔", "군"} <= hangul
    assert unreadable("솔뫼군") == ["뫼"]
