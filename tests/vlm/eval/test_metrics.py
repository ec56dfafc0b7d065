"""The metrics on cases worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest

from vlm.eval import metrics as m
from vlm.eval.numbers import parse_number


def test_levenshtein_and_anls_kitten_sitting() -> None:
    # kitten -> sitting: k->s, e->i, insert g = 3 edits; longer length 7; NL = 3/7 = 0.4286
    assert m.levenshtein("kitten", "sitting") == 3
    assert m.normalized_levenshtein("kitten", "sitting") == pytest.approx(3 / 7)
    assert m.anls("kitten", ["sitting"]) == pytest.approx(4 / 7)  # 1 - 3/7 = 0.5714
    assert m.anls("kitten", "sitting") == pytest.approx(4 / 7)  # one string is one answer


def test_anls_threshold_max_and_normalisation() -> None:
    assert m.anls("abcd", ["abce"]) == pytest.approx(0.75)  # 1 edit / 4 = 0.25 -> 0.75
    assert m.anls("ab", ["ac"]) == 0.0  # 1 edit / 2 = 0.5, not below 0.5 -> 0
    assert m.anls("abc", ["xyz"]) == 0.0  # 3/3 = 1.0 -> 0
    assert m.anls("seoul", ["busan", "Seoul"]) == 1.0  # best gold: same after case folding
    assert m.anls("  Hello   World ", ["hello world"]) == 1.0  # spaces collapsed, case folded
    assert m.anls("", [""]) == 1.0 and m.anls("x", []) == 0.0


def test_exact_match_normalisation() -> None:
    assert m.exact_match("3,450억 원", ["3450억원"]) == 1.0  # thousands comma and spaces dropped
    assert m.exact_match("Hello, World!", ["hello world"]) == 1.0  # punctuation dropped
    assert m.exact_match("12.5%", ["12.5"]) == 1.0  # the point between digits stays, % goes
    assert m.exact_match("1.25", ["12.5"]) == 0.0
    assert m.exact_match("서울이다", ["서울"]) == 0.0  # particles and endings are not stripped
    assert m.exact_match("부산", ["서울", "부산"]) == 1.0


def test_parse_number_forms() -> None:
    assert parse_number("1,234").value == 1234
    assert parse_number("12.5%").value == 12.5
    n = parse_number("3,450억 원")
    assert (n.written, n.value, n.scaled) == (3450, 3450e8, True)
    assert parse_number("3조 4,500억").value == 3e12 + 4500e8  # 3.45e12
    assert parse_number("-5.2").value == -5.2 and parse_number("$1,234").value == 1234
    for text in ("매출은 3,450억 원입니다", "2023년 3월", "1 234", "1,2,3", "약 30", "abc"):
        assert parse_number(text) is None, text


def test_relaxed_accuracy_at_the_five_percent_edge() -> None:
    # gold 100: 104.9 is 4.9% off (<= 5%) -> right; 105.1 is 5.1% off -> wrong; same below
    assert m.relaxed_accuracy("104.9", ["100"]) == 1.0
    assert m.relaxed_accuracy("105.1", ["100"]) == 0.0
    assert m.relaxed_accuracy("95.1", ["100"]) == 1.0
    assert m.relaxed_accuracy("94.9", ["100"]) == 0.0
    assert m.relaxed_accuracy("2,100", ["2000"]) == 1.0  # exactly 5% (100 of 2000): inclusive
    assert m.relaxed_accuracy("0", ["0"]) == 1.0 and m.relaxed_accuracy("0.01", ["0"]) == 0.0


def test_relaxed_accuracy_units_and_text() -> None:
    assert m.relaxed_accuracy("1,234", ["1234"]) == 1.0
    assert m.relaxed_accuracy("12.5%", ["12.5"]) == 1.0
    assert m.relaxed_accuracy("3450", ["3,450억 원"]) == 1.0  # the figures as written agree
    assert m.relaxed_accuracy("345000000000", ["3,450억 원"]) == 1.0  # the full values agree
    assert m.relaxed_accuracy("3450만", ["3,450억"]) == 0.0  # both scaled: 3.45e7 vs 3.45e11
    assert m.relaxed_accuracy("34,500억", ["3조 4,500억"]) == 1.0  # 3.45e12 both
    assert m.relaxed_accuracy("Seoul", ["seoul"]) == 1.0  # not numbers: exact match
    assert m.relaxed_accuracy("약 3,450억", ["3,450억"]) == 0.0  # a sentence is not a number


def test_mcq_accuracy_plain_and_circular() -> None:
    rows = [("document", True), ("document", False), ("table", True)]
    # document 1/2, table 1/1, all 2/3
    assert m.accuracy_by_category(rows) == pytest.approx({"document": 0.5, "table": 1.0, m.ALL: 2 / 3})
    rotations = [("q1", "chart", ok) for ok in (True, True, True, True)]
    rotations += [("q2", "chart", ok) for ok in (True, True, False, True)]  # one rotation wrong
    # plain (first rotation) both right = 1.0; circular: q1 counts, q2 does not = 1/2
    assert m.accuracy_by_category([("chart", True), ("chart", True)])[m.ALL] == 1.0
    assert m.circular_accuracy_by_category(rotations) == {"chart": 0.5, m.ALL: 0.5}


def test_box_iou_and_accuracy_at_half() -> None:
    a, b = [0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75]
    # intersection 0.25 x 0.25 = 0.0625; union 0.25 + 0.25 - 0.0625 = 0.4375; IoU = 1/7
    assert m.box_iou(a, b) == pytest.approx(1 / 7)
    assert m.box_iou(a, [0.5, 0.5, 0.0, 0.0]) == 1.0  # corners put in order
    assert m.box_iou(a, [0.6, 0.6, 0.9, 0.9]) == 0.0
    assert m.box_iou(None, a) == 0.0 and m.box_iou([1, 2], a) == 0.0
    assert m.box_iou(["x", 0, 1, 1], a) == 0.0 and m.box_iou([0, 0, float("nan"), 1], a) == 0.0
    half = ([0.0, 0.0, 1.0, 0.5], [0.0, 0.0, 1.0, 1.0])  # IoU 0.5 exactly: counts
    # IoUs 1, 1/7, 0 (no prediction), 0.5 -> 2 of 4 reach 0.5
    assert m.accuracy_at_iou([(a, a), (a, b), (None, a), half]) == 0.5


def test_word_f1_counts_duplicates_once_per_gold_copy() -> None:
    # pred {매출: 2, 이익: 1}, gold {매출: 1, 이익: 1, 원: 1}: matched 1 + 1 = 2; P = R = F1 = 2/3
    prf = m.word_f1(["매출", "매출", "이익"], ["매출", "이익", "원"])
    assert (prf.precision, prf.recall, prf.f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    # three copies against one: matched 1; P = 1/3, R = 1; F1 = 2 (1/3)(1) / (4/3) = 0.5
    assert m.word_f1(["a", "a", "a"], ["a"]).f1 == pytest.approx(0.5)
    assert m.word_f1([], []).f1 == 1.0 and m.word_f1([], ["a"]).f1 == 0.0


def test_word_f1_with_boxes_needs_overlap() -> None:
    pred = [("매출", [0.0, 0.0, 0.2, 0.1]), ("이익", [0.5, 0.5, 0.6, 0.6])]
    gold = [("매출", [0.0, 0.0, 0.2, 0.1]), ("이익", [0.0, 0.5, 0.1, 0.6])]
    # the text matches twice, but 이익's boxes do not overlap: 1 match of 2 -> P = R = F1 = 0.5
    assert m.word_f1([t for t, _ in pred], [t for t, _ in gold]).f1 == 1.0
    assert m.word_f1_boxes(pred, gold).f1 == pytest.approx(0.5)
    # two gold copies, two predictions: each pairs with the copy it overlaps (greedy by IoU)
    two = [("a", [0.0, 0.0, 0.1, 0.1]), ("a", [0.5, 0.0, 0.6, 0.1])]
    assert m.word_f1_boxes(list(reversed(two)), two).f1 == 1.0
