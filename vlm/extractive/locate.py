"""Where an answer is: from character offsets in a crop's text to boxes on its image.

A crop's ``text`` and its ``words`` come from the same reading (text layer or OCR) but the
text has its own spacing and line breaks, so words are aligned to the text by their
characters, ignoring whitespace. An answer covering part of a word (``임종석`` in
``임종석은``) gets the matching share of the word's width: Korean answers rarely end on a
word boundary because particles are glued on.
"""

from __future__ import annotations

from indexing.geometry import Box, CropFrame, Space
from indexing.model import Word


def align_words(text: str, words: list[Word]) -> list[tuple[int, int] | None]:
    """Character range of each word in ``text`` (None for a word that could not be placed)."""
    compact: list[int] = [i for i, ch in enumerate(text) if not ch.isspace()]
    flat = "".join(text[i] for i in compact)
    out: list[tuple[int, int] | None] = []
    cursor = 0
    for w in words:
        needle = "".join(w.text.split())
        if not needle:
            out.append(None)
            continue
        # words come in reading order: look a little ahead first, then anywhere after
        p = flat.find(needle, cursor, cursor + len(needle) + 200)
        if p < 0:
            p = flat.find(needle, cursor)
        if p < 0:
            out.append(None)
            continue
        out.append((compact[p], compact[p + len(needle) - 1] + 1))
        cursor = p + len(needle)
    return out


def _part_of_word(w: Word, rng: tuple[int, int], start: int, end: int) -> Box:
    ws, we = rng
    a, b = max(start, ws), min(end, we)
    n = max(we - ws, 1)
    box = w.box
    return Box(box.x0 + box.width * (a - ws) / n, box.y0,
               box.x0 + box.width * (b - ws) / n, box.y1, box.space)


def by_lines(boxes: list[Box]) -> list[Box]:
    """Union of boxes per text line (boxes in reading order)."""
    lines: list[Box] = []
    for b in boxes:
        if lines:
            last = lines[-1]
            centre = (b.y0 + b.y1) / 2
            if last.y0 - 1 <= centre <= last.y1 + 1 and b.x0 >= last.x0 - 2:
                lines[-1] = last.union(b)
                continue
        lines.append(b)
    return lines


def span_boxes(text: str, words: list[Word], start: int, end: int,
               alignment: list[tuple[int, int] | None] | None = None) -> list[Box]:
    """Boxes (the words' space, one per line) of ``text[start:end]``; [] if not located."""
    if not words or end <= start:
        return []
    alignment = alignment if alignment is not None else align_words(text, words)
    parts = [_part_of_word(w, rng, start, end)
             for w, rng in zip(words, alignment, strict=True)
             if rng is not None and rng[1] > start and rng[0] < end]
    if parts:
        return by_lines(parts)
    return find_in_words(words, text[start:end])


def find_in_words(words: list[Word], needle: str) -> list[Box]:
    """Boxes of the first run of words whose characters contain ``needle``."""
    target = "".join(needle.split())
    if not target:
        return []
    flat, owner = "", []
    for i, w in enumerate(words):
        t = "".join(w.text.split())
        flat += t
        owner.extend([i] * len(t))
    p = flat.find(target)
    if p < 0:
        return []
    idx = sorted(set(owner[p:p + len(target)]))
    return by_lines([words[i].box for i in idx])


def union(boxes: list[Box]) -> Box | None:
    out: Box | None = None
    for b in boxes:
        out = b if out is None else out.union(b)
    return out


def reference_box(frame: CropFrame | None, words: list[Word]) -> Box | None:
    """What NORM boxes are fractions of: the crop's page box, else the words' extent."""
    if frame is not None:
        return frame.page_box
    return union([w.box for w in words if w.box.space == Space.PAGE])


def to_norm(boxes: list[Box], frame: CropFrame | None, words: list[Word]) -> list[Box]:
    """Page boxes as fractions of the crop (clipped to [0, 1]; empty ones dropped)."""
    ref = reference_box(frame, words)
    if ref is None or ref.is_empty:
        return []
    ref_frame = frame if frame is not None else CropFrame(ref, (1, 1))
    out = []
    for b in boxes:
        if b.space != Space.PAGE:
            continue
        n = ref_frame.page_to_norm(b).clip(1.0, 1.0)
        if not n.is_empty:
            out.append(n)
    return out


def find_runs(words: list[Word], needle: str) -> list[list[int]]:
    """Every run of whole words whose characters (spaces ignored) equal ``needle``."""
    target = "".join(needle.split())
    runs: list[list[int]] = []
    if not target:
        return runs
    texts = ["".join(w.text.split()) for w in words]
    for i in range(len(words)):
        acc, j = "", i
        while j < len(words) and len(acc) < len(target):
            acc += texts[j]
            j += 1
            if acc == target:
                runs.append(list(range(i, j)))
                break
            if not target.startswith(acc):
                break
    return runs


def centre(box: Box) -> tuple[float, float]:
    return ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
