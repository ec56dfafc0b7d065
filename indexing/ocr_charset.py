"""What an OCR model can write: the characters of a Tesseract language model.

Tesseract's LSTM models write only the characters of their own character set, and Debian's
``kor`` holds 1,076 Hangul syllables of the 2,350 in KS X 1001 (``script/Hangul`` the same
set). A name with one of the others (``솔뫼군``: ``뫼``) is never read as written from a scan:
the syllable is dropped, replaced or merged with its neighbour. ``unreadable`` names those
syllables, so that a refusal can say why a scanned page does not hold a name.

The set is read from the model file (``*.traineddata``: a table of component offsets, then
the components; the LSTM character set is one of them, in text), once per language.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

from indexing.tesseract import tessdata_dir

# How OCR writes a square of a line it could not read as any character it knows
# (indexing.ocr_unsure): the Unicode character that stands for one that cannot be shown.
UNREAD = "\ufffd"
LSTM_UNICHARSET = 21  # the LSTM character set's place in a traineddata file's component table


@lru_cache(maxsize=8)
def model_characters(language: str) -> frozenset[str]:
    """The characters the installed ``language`` model writes (``characters_in``)."""
    folder = tessdata_dir()
    return characters_in(Path(folder) / f"{language}.traineddata") if folder else frozenset()


def characters_in(path: Path) -> frozenset[str]:
    """The characters a traineddata file's LSTM model writes; empty where the file is missing,
    unreadable or holds no LSTM character set."""
    try:
        return frozenset(_unicharset_lines(path.read_bytes()))
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return frozenset()


def unreadable(text: str, language: str = "kor", known: frozenset[str] | None = None) -> list[str]:
    """The Hangul syllables of ``text`` that ``language``'s model (or the set ``known``)
    cannot write, in order, once each; none where the model is missing (nothing is known)."""
    known = model_characters(language) if known is None else known
    if not known:
        return []
    return list(dict.fromkeys(ch for ch in text if "\uac00" <= ch <= "\ud7a3" and ch not in known))


def _unicharset_lines(data: bytes) -> list[str]:
    """The characters listed in a traineddata file's LSTM character set: its first line is
    the count, then one line per character, the character first."""
    (entries,) = struct.unpack_from("<i", data, 0)
    offsets = struct.unpack_from(f"<{entries}q", data, 4)
    start = offsets[LSTM_UNICHARSET] if entries > LSTM_UNICHARSET else -1
    if start < 0:
        return []
    end = next((o for o in offsets[LSTM_UNICHARSET + 1:] if o >= 0), len(data))
    lines = data[start:end].decode("utf-8").split("\n")
    count = int(lines[0])
    return [line.split(" ", 1)[0] for line in lines[1:count + 1]]
