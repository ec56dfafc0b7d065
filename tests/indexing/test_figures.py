"""Figures on scanned pages: non-text ink with the OCR labels around it becomes one region."""

from __future__ import annotations

from PIL import Image, ImageDraw

from indexing.figures import find_figures
from indexing.geometry import Box, Space
from indexing.layout import scan_regions
from indexing.model import RegionKind, Word
from indexing.ocr import OcrLine

DPI = 150.0
SCALE = DPI / 72.0


def line(text: str, x: float, y: float, w: float = 30.0, h: float = 9.0) -> OcrLine:
    box = Box(x, y, x + w, y + h, Space.PAGE)
    return OcrLine([Word(text, box, 90.0)], box)


def page_with_chart() -> tuple[Image.Image, list[OcrLine]]:
    """A paragraph line, then three bars with value labels over them and years under them."""
    image = Image.new("L", (round(595 * SCALE), round(842 * SCALE)), 255)
    draw = ImageDraw.Draw(image)
    lines = [line("본문 문단의 한 줄이다.", 72, 80, w=300)]
    draw.rectangle([72 * SCALE, 80 * SCALE, 372 * SCALE, 89 * SCALE], fill=0)  # its "ink"
    draw.line([(140 * SCALE, 300 * SCALE), (420 * SCALE, 300 * SCALE)], fill=0, width=2)  # axis
    for i, (value, top) in enumerate((("8,937", 180), ("6,280", 220), ("8,063", 190))):
        x = 170 + 80 * i
        draw.rectangle([x * SCALE, top * SCALE, (x + 40) * SCALE, 300 * SCALE], fill=60)
        lines.append(line(value, x + 5, top - 14))
        lines.append(line(f"{2019 + i}년", x + 5, 306))
        draw.rectangle([(x + 5) * SCALE, (top - 14) * SCALE, (x + 35) * SCALE, (top - 5) * SCALE], fill=0)
    return image, lines


def test_bars_and_their_labels_become_one_picture_region():
    image, lines = page_with_chart()
    figures = find_figures(image, DPI, lines, [], (595.0, 842.0))
    assert len(figures) == 1
    fig = figures[0]
    assert sorted(lines[i].text for i in fig.lines) == sorted(
        ["8,937", "6,280", "8,063", "2019년", "2020년", "2021년"])
    assert fig.box.x0 <= 170 and fig.box.x1 >= 410 and fig.box.y0 <= 166 and fig.box.y1 >= 315
    regions = scan_regions(lines, [], 595.0, 842.0, figures)
    kinds = [r.kind for r in regions]
    assert kinds.count(RegionKind.PICTURE) == 1 and kinds.count(RegionKind.TEXT) == 1
    picture = next(r for r in regions if r.kind == RegionKind.PICTURE)
    assert "8,937" in picture.text and "2021년" in picture.text and len(picture.words) == 6


def test_text_alone_makes_no_figure():
    image, lines = page_with_chart()
    blank = Image.new("L", image.size, 255)
    ImageDraw.Draw(blank).rectangle([72 * SCALE, 80 * SCALE, 372 * SCALE, 89 * SCALE], fill=0)
    assert find_figures(blank, DPI, lines[:1], [], (595.0, 842.0)) == []


def test_numbered_headings_and_captions_stand_alone_on_scans():
    lines = [line("3. 주요 통계 지표", 62, 78, w=96, h=12.6),
             line("다음 표는 최근 5개년의 주요 지표를 정리한 것이다.", 62, 100, w=300, h=14.8),
             line("표 1. 주요 통계 지표", 62, 126, w=150, h=14.4)]
    regions = scan_regions(lines, [], 595.0, 842.0)
    assert [r.kind for r in regions] == [RegionKind.SECTION_HEADER, RegionKind.TEXT, RegionKind.CAPTION]


def test_a_column_of_prose_read_with_low_confidence_is_no_figure():
    """Words under MIN_WORD_CONF stay ink; a narrow column of them is a blob the size of a
    chart, and its short lines pass for labels, but they are sentences."""
    image = Image.new("L", (round(595 * SCALE), round(842 * SCALE)), 255)
    draw = ImageDraw.Draw(image)
    texts = ["본 병원은 지역 거점 종합병원으로서", "응급 진료와 전문 진료를 함께", "제공하고 있다. 병상 수는 612병상이며",
             "의료진 수는 1,387명이다.", "본 병원은 권역 응급의료센터로", "지정되어 중증 응급 환자를 진료한다."]
    lines = []
    for i, text in enumerate(texts):
        y = 100 + 14 * i
        box = Box(72, y, 272, y + 10, Space.PAGE)
        lines.append(OcrLine([Word(text, box, 60.0)], box))
        draw.rectangle([72 * SCALE, y * SCALE, 272 * SCALE, (y + 10) * SCALE], fill=0)
    assert find_figures(image, DPI, lines, [], (595.0, 842.0)) == []
    image, chart = page_with_chart()  # the same test leaves a chart alone
    assert len(find_figures(image, DPI, chart, [], (595.0, 842.0))) == 1


def test_sentence_ends_make_a_line_prose():
    from indexing.figures import _is_prose, _mostly_prose

    assert _is_prose("의료진 수는 1,387명이다.") and _is_prose("본병원은권역응급의료터로지정되어")
    assert not _is_prose("97,519") and not _is_prose("2023년") and not _is_prose("1. 병원 현황")
    chart = ["연도별 응급실 내원 환자 수 (명)", "120,000", "97,519", "90,000", "2019년", "2020년", "2021년"]
    assert not _mostly_prose(chart)
