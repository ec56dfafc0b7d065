"""The output parser: well-formed replies, a table of broken ones, and random garbage."""

from __future__ import annotations

import random

import pytest

from indexing.geometry import Box, Space
from vlm.parsing import (
    ParsedOutput,
    Span,
    grounded_answer,
    is_unanswerable,
    parse_box,
    parse_ocr,
    parse_output,
)

CATS = (
    "The image shows <obj>two cats</obj><bbox>0.014, 0.106, 0.51, 0.996<delim>0.51, 0.054, "
    "0.996, 0.787</bbox> lying on <obj>a pink blanket</obj><bbox>0.003, 0.231, 0.999, 0.999</bbox>."
)


def n(x0: float, y0: float, x1: float, y1: float) -> Box:
    return Box(x0, y0, x1, y1, Space.NORM)


def boxes_of(out: ParsedOutput) -> list[list[float]]:
    return [b.as_list(6) for b in out.boxes]


def test_two_cats_one_span_two_boxes() -> None:
    out = parse_output("<obj>two cats</obj><bbox>0.014, 0.106, 0.51, 0.996<delim>0.51, 0.054, 0.996, 0.787</bbox>")
    assert out.text == "two cats"
    assert out.spans == [Span("two cats", "obj", [n(0.014, 0.106, 0.51, 0.996), n(0.51, 0.054, 0.996, 0.787)])]
    assert all(b.space == Space.NORM for b in out.boxes)


def test_grounded_description_keeps_order_and_text() -> None:
    out = parse_output(CATS)
    assert out.text == "The image shows two cats lying on a pink blanket."
    assert [(s.kind, s.text, len(s.boxes)) for s in out.spans] == [
        ("plain", "The image shows", 0), ("obj", "two cats", 2), ("plain", "lying on", 0),
        ("obj", "a pink blanket", 1), ("plain", ".", 0),
    ]
    assert [s.text for s in out.grounded] == ["two cats", "a pink blanket"]


def test_referring_style_char_in_korean() -> None:
    out = parse_output("매출액은 <char>3,450억 원</char><bbox>0.162, 0.076, 0.71, 0.275</bbox>입니다.")
    assert out.text == "매출액은 3,450억 원입니다."
    assert out.grounded == [Span("3,450억 원", "char", [n(0.162, 0.076, 0.71, 0.275)])]


def test_bare_bbox_attaches_to_preceding_text() -> None:
    out = parse_output("The total is 3,450<bbox>0.1, 0.2, 0.3, 0.4</bbox> in 2023.")
    assert out.spans == [Span("The total is 3,450", "plain", [n(0.1, 0.2, 0.3, 0.4)]), Span("in 2023.")]
    assert out.text == "The total is 3,450 in 2023."


def test_second_bbox_after_a_span_adds_to_it() -> None:
    out = parse_output("<char>A</char><bbox>0.1,0.1,0.2,0.2</bbox> <bbox>0.3,0.3,0.4,0.4</bbox>")
    assert out.spans == [Span("A", "char", [n(0.1, 0.1, 0.2, 0.2), n(0.3, 0.3, 0.4, 0.4)])]


def test_spaces_between_special_tokens_are_tidied() -> None:
    out = parse_output("The  image shows <obj> two cats </obj> <bbox> 0.1, 0.2, 0.3, 0.4 </bbox> .\n\n\n\nEnd")
    assert out.text == "The image shows two cats .\n\nEnd"
    assert out.grounded[0].text == "two cats"


def test_ocr_output_from_the_model_card() -> None:
    text = (
        "<char>백범로</char><bbox>0.172, 0.266, 0.328, 0.341</bbox>\n"
        "<char>124번길</char><bbox>0.347, 0.266, 0.512, 0.341</bbox>\n"
        "<char>Baekbeom-ro</char><bbox>0.171, 0.337, 0.433, 0.392</bbox>\n"
    )
    spans = parse_ocr(text)
    assert [s.text for s in spans] == ["백범로", "124번길", "Baekbeom-ro"]
    assert all(s.kind == "char" and len(s.boxes) == 1 for s in spans)
    assert spans[1].boxes[0] == n(0.347, 0.266, 0.512, 0.341)
    assert parse_output(text).text == "백범로\n124번길\nBaekbeom-ro"


def test_ocr_broken_line_does_not_swallow_the_next() -> None:
    text = (
        "<char>시흥\n"
        "<char>시청</char><bbox>0.711, 0.521, 0.811, 0.594</bbox>\n"
        "<char>Mansu</char>\n<bbox>0.102, 0.601, 0.181, 0.648</bbox>\n"
        "<char>42</char><bbox>0.377, 0.601</bbox><|im_end|><char>junk</char>"
    )
    spans = parse_ocr(text)
    assert [(s.text, len(s.boxes)) for s in spans] == [("시흥", 0), ("시청", 1), ("Mansu", 1), ("42", 0)]


# (case id, reply, expected text, expected [(span text, kind, boxes as lists)] for boxed spans)
BROKEN = [
    ("unclosed char at end", "answer <char>3,450", "answer 3,450", []),
    ("unclosed char then bbox", "<char>A<bbox>0.1, 0.1, 0.2, 0.2</bbox>", "A",
     [("A", "char", [[0.1, 0.1, 0.2, 0.2]])]),
    ("unclosed bbox keeps complete boxes", "<obj>x</obj><bbox>0.1, 0.1, 0.2, 0.2<delim>0.3, 0.3",
     "x", [("x", "obj", [[0.1, 0.1, 0.2, 0.2]])]),
    ("stray closing tags", "a </char> b </bbox> c </obj>", "a b c", []),
    ("stray delim outside box", "a<delim>b", "ab", []),
    ("im_end and trailing garbage", "<char>A</char><bbox>0.1,0.1,0.2,0.2</bbox><|im_end|>zz<bbox>0,0,1,1</bbox>",
     "A", [("A", "char", [[0.1, 0.1, 0.2, 0.2]])]),
    ("endoftext", "ok<|endoftext|>more", "ok", []),
    ("leading assistant header", "<|im_start|>assistant\nhello<|im_end|>", "hello", []),
    ("two numbers dropped", "<char>A</char><bbox>0.1, 0.2</bbox>", "A", []),
    ("three numbers dropped", "<char>A</char><bbox>0.1, 0.2, 0.3</bbox>", "A", []),
    ("five numbers dropped", "<char>A</char><bbox>0.1, 0.2, 0.3, 0.4, 0.5</bbox>", "A", []),
    ("junk box dropped, good one kept", "<char>A</char><bbox>0.1, abc, 0.3, 0.4<delim>0.5, 0.5, 0.6, 0.6</bbox>",
     "A", [("A", "char", [[0.5, 0.5, 0.6, 0.6]])]),
    ("nan dropped", "<char>A</char><bbox>nan, 0.1, 0.2, 0.3</bbox>", "A", []),
    ("inf dropped", "<char>A</char><bbox>0.1, 0.1, inf, 0.3<delim>0.1, 0.1, 1e999, 0.3</bbox>", "A", []),
    ("slight overshoot clipped", "<char>A</char><bbox>-0.02, 0.1, 1.03, 0.5</bbox>", "A",
     [("A", "char", [[0.0, 0.1, 1.0, 0.5]])]),
    ("0-1000 grid divided", "<char>A</char><bbox>100, 200, 300, 400</bbox>", "A",
     [("A", "char", [[0.1, 0.2, 0.3, 0.4]])]),
    ("grid with a zero", "<char>A</char><bbox>0, 0, 500, 1000</bbox>", "A",
     [("A", "char", [[0.0, 0.0, 0.5, 1.0]])]),
    ("pixel values collapse and drop", "<char>A</char><bbox>1200, 1300, 1800, 1900</bbox>", "A", []),
    ("non-integer values above 1 are clipped", "<char>A</char><bbox>0.2, 0.3, 2.5, 3.5</bbox>", "A",
     [("A", "char", [[0.2, 0.3, 1.0, 1.0]])]),
    ("swapped corners reordered", "<char>A</char><bbox>0.5, 0.6, 0.1, 0.2</bbox>", "A",
     [("A", "char", [[0.1, 0.2, 0.5, 0.6]])]),
    ("zero area dropped", "<char>A</char><bbox>0.1, 0.1, 0.1, 0.5<delim>0.2, 0.3, 0.4, 0.3</bbox>", "A", []),
    ("brackets and spaces tolerated", "<char>A</char><bbox>[0.1 0.2 0.3 0.4]</bbox>", "A",
     [("A", "char", [[0.1, 0.2, 0.3, 0.4]])]),
    ("nested label closes outer", "<obj>a <char>b</char> c</obj>", "a b c", []),
    ("nested label boxes go to inner", "<obj>표 <char>3,450</char><bbox>0.1,0.1,0.2,0.2</bbox></obj>",
     "표 3,450", [("3,450", "char", [[0.1, 0.1, 0.2, 0.2]])]),
    ("bbox inside bbox acts as delim", "<char>A</char><bbox>0.1,0.1,0.2,0.2<bbox>0.3,0.3,0.4,0.4</bbox>", "A",
     [("A", "char", [[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]])]),
    ("box before any text kept with empty text", "<bbox>0.1,0.1,0.2,0.2</bbox>", "",
     [("", "plain", [[0.1, 0.1, 0.2, 0.2]])]),
    ("task tokens echoed are removed", "<gro>\n<image>답<ocr>", "답", []),
    ("korean inside tags with odd spacing", "< char >삼성전자</ char ><BBOX>0.1,0.1,0.2,0.2</BBOX>", "삼성전자",
     [("삼성전자", "char", [[0.1, 0.1, 0.2, 0.2]])]),
    ("unknown angle brackets stay text", "a <b> c < 3", "a <b> c < 3", []),
    ("empty reply", "", "", []),
]


@pytest.mark.parametrize(("reply", "text", "grounded"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_outputs(reply: str, text: str, grounded: list) -> None:
    out = parse_output(reply)
    assert out.text == text
    got = [(s.text, s.kind, [b.as_list(6) for b in s.boxes]) for s in out.grounded]
    assert got == grounded


def test_parse_box_rules() -> None:
    assert parse_box("0.1, 0.2, 0.3, 0.4") == n(0.1, 0.2, 0.3, 0.4)
    assert parse_box("1, 1, 1, 1") is None  # integers but max not above 1: a degenerate NORM box
    assert parse_box("0, 0, 1, 1") == n(0, 0, 1, 1)
    assert parse_box("") is None
    assert parse_box("0x1, 0.2, 0.3, 0.4") is None


def test_non_string_input_does_not_raise() -> None:
    assert parse_output(None).text == ""  # type: ignore[arg-type]
    assert parse_ocr(None) == []  # type: ignore[arg-type]


FRAGMENTS = [
    "<char>", "</char>", "<obj>", "</obj>", "<bbox>", "</bbox>", "<delim>", "<gro>", "<ocr>",
    "<image>", "<|im_end|>", "<|im_start|>", "<", ">", "/", ",", ", ", " ", "\n", ".", "-",
    "nan", "inf", "1e999", "e", "매출", "two cats", "[", "]", "< char >", "</ bbox>",
]


def _number(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return f"{rng.random():.3f}"
    if kind == 1:
        return str(rng.randrange(0, 1001))
    if kind == 2:
        return f"{rng.uniform(-2000, 2000):.2f}"
    if kind == 3:
        return f"{rng.uniform(-0.2, 1.2):.4f}"
    return rng.choice(["0", "1", "-0", ".5", "5.", "1e-3", "+0.2"])


def _box_group(rng: random.Random) -> str:
    """A box-ish run: mostly four numbers, sometimes 2/3/5, maybe several, maybe unclosed."""
    groups = []
    for _ in range(rng.randrange(1, 4)):
        count = rng.choice([4, 4, 4, 4, 2, 3, 5])
        groups.append(rng.choice([", ", ",", " "]).join(_number(rng) for _ in range(count)))
    tail = rng.choice(["</bbox>", "</bbox>", "", "<|im_end|>"])
    return "<bbox>" + rng.choice(["<delim>", "<delim>", "<bbox>", ","]).join(groups) + tail


def _garbage(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randrange(0, 30)):
        r = rng.random()
        if r < 0.45:
            parts.append(rng.choice(FRAGMENTS))
        elif r < 0.65:
            parts.append(_number(rng))
        else:
            parts.append(_box_group(rng))
    return "".join(parts)


def _check(out: ParsedOutput) -> None:
    for span in out.spans:
        assert span.kind in ("char", "obj", "plain")
        assert span.text or span.boxes
        for b in span.boxes:
            assert b.space == Space.NORM
            assert 0.0 <= b.x0 < b.x1 <= 1.0 and 0.0 <= b.y0 < b.y1 <= 1.0
    assert "<bbox>" not in out.text and "<|im_end|>" not in out.text


@pytest.mark.parametrize("seed", range(4))
def test_random_garbage_never_raises_and_boxes_are_valid(seed: int) -> None:
    rng = random.Random(seed)
    seen_boxes = 0
    for _ in range(1500):
        reply = _garbage(rng)
        out = parse_output(reply)
        _check(out)
        _check(ParsedOutput("", parse_ocr(reply)))
        seen_boxes += len(out.boxes)
    assert seen_boxes > 500  # the generator does reach the box-repair paths


@pytest.mark.parametrize("seed", range(2))
def test_random_well_formed_replies_round_trip(seed: int) -> None:
    rng = random.Random(100 + seed)
    for _ in range(300):
        expected = []
        pieces = []
        for i in range(rng.randrange(1, 6)):
            boxes = []
            for _ in range(rng.randrange(1, 4)):
                x0, x1 = sorted(rng.sample(range(0, 1001), 2))
                y0, y1 = sorted(rng.sample(range(0, 1001), 2))
                boxes.append([x0 / 1000, y0 / 1000, x1 / 1000, y1 / 1000])
            kind = rng.choice(["char", "obj"])
            body = "<delim>".join(", ".join(f"{v:g}" for v in b) for b in boxes)
            pieces.append(f"word{i} <{kind}>항목 {i}</{kind}><bbox>{body}</bbox>")
            expected.append((f"항목 {i}", kind, boxes))
        out = parse_output(" ".join(pieces) + "<|im_end|>")
        got = [(s.text, s.kind, [b.as_list(6) for b in s.boxes]) for s in out.grounded]
        assert got == expected


@pytest.mark.parametrize(
    ("text", "unanswerable"),
    [("", True), ("  ...  ", True), ("3,450억 원", False),
     ("I cannot answer this from the image.", True),
     ("제공된 이미지로는 매출액을 알 수 없습니다.", True),
     ("매출액은 3,450억 원입니다. 다른 연도는 알 수 없습니다.", False),
     ("Not enough information to tell.", True), ("The answer is 42.", False)],
)
def test_is_unanswerable(text: str, unanswerable: bool) -> None:
    assert is_unanswerable(text) is unanswerable


def test_grounded_answer_builds_evidence_with_crop_index() -> None:
    ans = grounded_answer(CATS + "<|im_end|>", crop_index=2)
    assert ans.answerable and ans.text.startswith("The image shows two cats")
    assert [(e.text, len(e.boxes), e.crop_index) for e in ans.evidence] == [
        ("two cats", 2, 2), ("a pink blanket", 1, 2),
    ]
    assert ans.raw.endswith("<|im_end|>")
    refused = grounded_answer("답변할 수 없습니다 <char>x</char><bbox>0.1,0.1,0.2,0.2</bbox>")
    assert not refused.answerable and refused.evidence == []
