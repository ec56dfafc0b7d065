"""Displayed formulas and margin labels on pages laid out from their text-layer lines."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from indexing import layout, textlayer
from indexing.formulas import has_math, is_prose, split_formulas
from indexing.geometry import Box, Space
from indexing.model import RegionKind, Word
from indexing.ocr import OcrLine


def line(x0: float, y0: float, x1: float, y1: float, text: str) -> OcrLine:
    return OcrLine([Word(text, Box(x0, y0, x1, y1, Space.PAGE))], Box(x0, y0, x1, y1, Space.PAGE))


PROSE = "The model below describes the flow of a liquid around the bubble"


def _paper_lines() -> list[OcrLine]:
    """A paragraph, a display of scraps numbered (2.1), ``and``, another display (2.2), a
    paragraph and a page number, set as a TeX paper's text layer sets them."""
    return [
        line(72, 100, 500, 110, PROSE), line(72, 112, 500, 122, PROSE), line(72, 124, 300, 134, "so that"),
        line(230, 140, 236, 146, "n"), line(72, 150, 95, 160, "(2.1)"),
        line(200, 150, 330, 160, "∂t ρ + ∇·(ρ v) = 0,"), line(280, 162, 285, 168, "2"),
        line(300, 140, 306, 150, "κ"),
        line(72, 175, 88, 185, "and"),
        line(250, 190, 254, 196, "1"), line(72, 198, 95, 208, "(2.2)"), line(200, 198, 300, 208, "p = R T ρ"),
        line(250, 208, 255, 214, "γ"),
        line(72, 225, 500, 235, PROSE), line(72, 237, 500, 247, PROSE), line(72, 249, 200, 259, "as it grows."),
        line(300, 800, 305, 808, "4"),
    ]


def test_a_displayed_formula_is_one_region_with_its_number_and_the_prose_stays_apart():
    regions = layout.text_layer_regions(_paper_lines(), 595, 842)
    assert regions is not None and not layout.fragmented(regions)
    formulas = [r for r in regions if r.kind == RegionKind.FORMULA]
    assert len(formulas) == 2
    first, second = sorted(formulas, key=lambda r: r.box.y0)
    assert {"(2.1)", "n", "2", "κ"} <= set(first.text.split())
    assert {"(2.2)", "1", "γ"} <= set(second.text.split())
    prose = [r for r in regions if r.kind != RegionKind.FORMULA]
    assert [r.text for r in prose if r.text in ("and", "4")] == ["and", "4"]
    assert all("ρ" not in r.text and "(2." not in r.text for r in prose)


def test_the_same_page_without_formulas_goes_to_the_model():
    # the scraps alone, as prose would group them: the guard that sends a page on
    lines = _paper_lines()
    regions = layout.scan_regions(layout.join_pieces(lines), [], 595, 842, paragraphs=True)
    assert layout.fragmented(regions)


def test_prose_lines_are_told_from_formula_lines():
    assert is_prose(line(0, 0, 10, 10, "and"))
    assert is_prose(line(0, 0, 10, 10, "where c1, c2 are constants,"))
    assert is_prose(line(0, 0, 10, 10, "For the monopole mode (ℓ “ 0), it follows from (5.11a) that"))
    assert is_prose(line(0, 0, 10, 10, "개인 정보를 식별할 수 있는"))
    assert not is_prose(line(0, 0, 10, 10, "max"))  # an operator's name
    # names of variables run together without a vowel, and a line of them with two words in it
    assert not is_prose(line(0, 0, 10, 10, "pgˆn ´ plˆn ` 2µlˆn ¨ Dpvlq “ σˆnp∇S ¨ ˆnq, on BΩptq, t ą 0,"))
    assert not is_prose(line(0, 0, 10, 10, "pΦgqm ℓ py, tq “ ż B1 Npy, zq „R˚ ρ˚ Bt ℓ pz, tq dz ` ż BB1 Npy"))
    assert has_math("x = 1") and has_math("∆φl") and has_math("pg “ RgT8ρg,")
    assert not has_math("(3.1a)") and not has_math("2023년 3,450")


def test_numbers_standing_together_without_a_symbol_are_no_formula():
    lines = [line(72, 100, 90, 110, "12"), line(120, 104, 140, 114, "3,450"), line(300, 800, 305, 808, "4")]
    formulas, rest = split_formulas(lines)
    assert formulas == [] and rest == lines


def test_a_formula_does_not_reach_across_a_line_of_prose():
    left = line(72, 100, 200, 110, "x = y + z")
    prose = line(310, 100, 520, 110, "the right column goes on with its prose here")
    right = line(310, 112, 400, 122, "a = b ´ c")
    formulas, rest = split_formulas([left, prose, right])
    assert len(formulas) == 2 and rest == [prose]


def _text_layer_page(data: Path, path: str, number: int) -> pymupdf.Page:
    return pymupdf.open(data / path)[number - 1]


def _lines_layout(page: pymupdf.Page):
    plain = layout.plain_page(page)
    assert plain is not None
    lines = [OcrLine.of(ws) for ws in textlayer.page_lines(page)]
    return layout.text_layer_regions(lines, page.rect.width, page.rect.height, plain.pictures, plain.grids)


def test_a_page_of_displayed_formulas_is_laid_out_from_its_lines_where_the_model_marks_them(shared_data):
    page = _text_layer_page(shared_data, "real-en-pdfs/arxiv-2408.03787v1.pdf", 5)
    ours = _lines_layout(page)
    assert ours is not None and not layout.fragmented(ours)
    formulas = [r.box for r in ours if r.kind == RegionKind.FORMULA]
    model = [r.box for r in layout.detect_regions(page) if r.kind == RegionKind.FORMULA]
    assert len(model) >= 5
    for box in model:  # each formula the model finds lies inside formulas found here
        covered = sum(max(0.0, (i := box.intersect(f)).width) * max(0.0, i.height) for f in formulas)
        assert covered >= 0.9 * box.area
    assert any(r.text.startswith("As discussed in") and r.kind == RegionKind.TEXT for r in ours)


def test_a_patents_paragraph_numbers_open_their_paragraphs(shared_data):
    page = _text_layer_page(shared_data, "real-ko-pdfs/patent-1020210175798.pdf", 7)
    ours = _lines_layout(page)
    assert ours is not None and not layout.fragmented(ours)
    assert not any(r.text.strip().startswith("[") and len(r.text.split()) == 1 for r in ours)
    opened = next(r for r in ours if r.text.startswith("[0005]"))
    assert "한편, 전자 문서에 삽입되는 이미지 개체" in opened.text
    assert opened.box.x0 < 40  # the label's margin is in the crop
