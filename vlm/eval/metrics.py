"""Scores for the evaluation tasks: small pure functions, each documented with what it normalises.

- multiple choice: :func:`accuracy_by_category`, :func:`circular_accuracy_by_category`;
- open answers: :func:`anls`, :func:`exact_match`, :func:`relaxed_accuracy` (ChartQA);
- grounding: :func:`box_iou`, :func:`accuracy_at_iou`;
- OCR: :func:`word_f1` (text only) and :func:`word_f1_boxes` (text and box).

Boxes are ``[x1, y1, x2, y2]`` sequences normalised to the image. Edit distance is a small
dynamic programme (no edit-distance library is a dependency); answers are short.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vlm.eval.numbers import numbers_match, parse_number

ALL = "all"
"""The key of the score over every category in the ``*_by_category`` results."""

ANLS_THRESHOLD = 0.5
RELAXED_TOLERANCE = 0.05
IOU_THRESHOLD = 0.5

_SPACE_RE = re.compile(r"\s+")
_DIGIT_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
_DIGIT_POINT = "\x00"

BoxLike = Sequence[float]


# -- text normalisation --------------------------------------------------------------------------

def normalize_space(text: str) -> str:
    """NFKC, case-folded, runs of white space as one space, trimmed (ANLS's normalisation)."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", str(text)).casefold()).strip()


def normalize_answer(text: str) -> str:
    """EM's normalisation: :func:`normalize_space`, then thousands commas between digits dropped
    (``3,450`` = ``3450``), every other punctuation mark dropped (Unicode class P*, except a
    point between digits: ``12.5`` stays), and every space dropped (Korean spacing varies:
    ``3,450억 원`` = ``3450억원``). Korean particles and endings are kept: ``서울`` is not
    ``서울이다``."""
    s = _DIGIT_COMMA_RE.sub("", normalize_space(text))
    s = re.sub(r"(?<=\d)\.(?=\d)", _DIGIT_POINT, s)
    s = "".join(ch for ch in s if not unicodedata.category(ch).startswith("P"))
    return s.replace(_DIGIT_POINT, ".").replace(" ", "")


# -- edit distance and open answers --------------------------------------------------------------

def _as_list(golds: str | Iterable[str]) -> list[str]:
    """Gold answers as a list; one string is one answer, not its characters."""
    return [golds] if isinstance(golds, str) else [str(g) for g in golds]


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute, each 1) between two strings."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def normalized_levenshtein(a: str, b: str) -> float:
    """Edit distance over the longer length, in [0, 1]; 0 for two empty strings."""
    longest = max(len(a), len(b))
    return levenshtein(a, b) / longest if longest else 0.0


def anls(prediction: str, golds: str | Iterable[str], threshold: float = ANLS_THRESHOLD) -> float:
    """Average Normalised Levenshtein Similarity of one answer: the best over ``golds`` of
    ``1 - NL`` (NL: normalised edit distance after :func:`normalize_space`), 0 where
    ``NL >= threshold``. No gold answer scores 0."""
    pred = normalize_space(prediction)
    best = 0.0
    for gold in _as_list(golds):
        nl = normalized_levenshtein(pred, normalize_space(gold))
        best = max(best, 1.0 - nl if nl < threshold else 0.0)
    return best


def exact_match(prediction: str, golds: str | Iterable[str]) -> float:
    """1.0 when the prediction equals a gold answer after :func:`normalize_answer`, else 0.0."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in _as_list(golds)))


def relaxed_accuracy(prediction: str, golds: str | Iterable[str],
                     tolerance: float = RELAXED_TOLERANCE) -> float:
    """ChartQA's relaxed accuracy: where prediction and gold are both numbers
    (:func:`vlm.eval.numbers.parse_number`), they match within ``tolerance`` of the gold
    (5%: 104.9 for 100 matches, 105.1 does not); otherwise :func:`exact_match`. Best over
    ``golds``."""
    pred = parse_number(prediction)
    for gold in _as_list(golds):
        g = parse_number(gold)
        if pred is not None and g is not None:
            if numbers_match(pred, g, tolerance):
                return 1.0
        elif exact_match(prediction, gold):
            return 1.0
    return 0.0


# -- multiple choice -----------------------------------------------------------------------------

def accuracy(flags: Iterable[bool]) -> float:
    """Share of true flags; 0.0 for none."""
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def accuracy_by_category(rows: Iterable[tuple[str, bool]]) -> dict[str, float]:
    """Accuracy per category from ``(category, correct)`` rows, plus :data:`ALL`."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for category, correct in rows:
        groups[category].append(bool(correct))
        groups[ALL].append(bool(correct))
    return {k: accuracy(v) for k, v in groups.items()} if groups else {ALL: 0.0}


def circular_accuracy_by_category(rows: Iterable[tuple[str, str, bool]]) -> dict[str, float]:
    """Circular accuracy from ``(item_id, category, correct)`` rows, one per rotation of an
    item's options: an item counts only when every one of its rotations is right."""
    items: dict[str, tuple[str, bool]] = {}
    for item_id, category, correct in rows:
        prev = items.get(item_id, (category, True))
        items[item_id] = (prev[0], prev[1] and bool(correct))
    return accuracy_by_category(items.values())


# -- grounding -----------------------------------------------------------------------------------

def _floats(box: BoxLike | None) -> list[float] | None:
    try:
        vals = [float(v) for v in box] if box is not None else []
    except (TypeError, ValueError):
        return None
    return vals if len(vals) == 4 and all(math.isfinite(v) for v in vals) else None


def box_iou(a: BoxLike | None, b: BoxLike | None) -> float:
    """Intersection over union of two ``[x1, y1, x2, y2]`` boxes (corners put in order); 0.0
    when either is missing, malformed or empty."""
    a, b = _floats(a), _floats(b)
    if a is None or b is None:
        return 0.0
    ax0, ax1 = sorted((a[0], a[2]))
    ay0, ay1 = sorted((a[1], a[3]))
    bx0, bx1 = sorted((b[0], b[2]))
    by0, by1 = sorted((b[1], b[3]))
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def accuracy_at_iou(pairs: Iterable[tuple[BoxLike | None, BoxLike | None]],
                    threshold: float = IOU_THRESHOLD) -> float:
    """Share of ``(predicted, gold)`` box pairs whose IoU reaches ``threshold``."""
    return accuracy(box_iou(p, g) >= threshold for p, g in pairs)


# -- OCR -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _prf(matched: int, n_pred: int, n_gold: int) -> PRF:
    if n_pred == 0 and n_gold == 0:
        return PRF(1.0, 1.0, 1.0)
    p = matched / n_pred if n_pred else 0.0
    r = matched / n_gold if n_gold else 0.0
    return PRF(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def normalize_word(text: str) -> str:
    """An OCR word for matching: NFKC, surrounding white space removed; case is kept."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def word_f1(predicted: Iterable[str], gold: Iterable[str]) -> PRF:
    """Precision, recall and F1 of predicted words against gold words as multisets: a word
    read twice matches only as many gold copies as there are. Both empty scores 1."""
    pred = Counter(w for w in map(normalize_word, predicted) if w)
    ref = Counter(w for w in map(normalize_word, gold) if w)
    return _prf(sum((pred & ref).values()), sum(pred.values()), sum(ref.values()))


def word_f1_boxes(predicted: Sequence[tuple[str, BoxLike | None]],
                  gold: Sequence[tuple[str, BoxLike | None]],
                  threshold: float = IOU_THRESHOLD) -> PRF:
    """Like :func:`word_f1`, but a predicted word matches a gold word only with the same text
    and a box IoU of at least ``threshold``; pairs are taken greedily, highest IoU first, each
    word at most once."""
    pred = [(normalize_word(t), b) for t, b in predicted if normalize_word(t)]
    ref = [(normalize_word(t), b) for t, b in gold if normalize_word(t)]
    pairs = sorted(((box_iou(pb, gb), i, j) for i, (pt, pb) in enumerate(pred)
                    for j, (gt, gb) in enumerate(ref) if pt == gt), reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    for iou, i, j in pairs:
        if iou >= threshold and i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return _prf(len(used_p), len(pred), len(ref))
