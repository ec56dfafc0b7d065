"""A scanned chart's data label read on its own where the chart's readings missed it."""

from __future__ import annotations

import io

import pymupdf
import pytest
from PIL import Image

from indexing.chart_data import _comma_lost, usual_decimals
from indexing.chart_labels import label_rereader, label_zones
from indexing.chart_marks import Marks
from indexing.chart_words import Axis, Label
from indexing.geometry import Box, Space

CHART = Box(100, 100, 400, 300, Space.PAGE)


def _scanned_chart(labels: list[tuple[float, float, str]]) -> Image.Image:
    """A gray 200 dpi render of ``CHART`` holding a dot under each label, as a scan has it."""
    doc = pymupdf.open()
    page = doc.new_page(width=500, height=400)
    for x, y, text in labels:
        page.insert_text((x - pymupdf.get_text_length(text, fontsize=10) / 2, y - 8), text, fontsize=10)
        page.draw_circle((x, y), 2.5, color=(0.3, 0.3, 0.3), fill=(0.3, 0.3, 0.3))
    clip = pymupdf.Rect(CHART.x0, CHART.y0, CHART.x1, CHART.y1)
    pix = page.get_pixmap(dpi=200, clip=clip, colorspace=pymupdf.csGRAY)
    return Image.open(io.BytesIO(pix.tobytes("png")))


def _accept_near(label: Label, measured: float, decimals: int) -> str | None:
    return label.text if label.number is not None and abs(label.number - measured) < 50 else None


@pytest.mark.usefixtures("ocr_ready")
def test_a_point_s_label_is_read_where_it_sits_and_must_agree_with_the_measure():
    image = _scanned_chart([(200, 200, "3,270"), (300, 250, "2,976")])
    read = label_rereader(image, CHART, Marks(), height=7.0, slot=80.0, accept=_accept_near)
    dot = Box(197.5, 197.5, 202.5, 202.5, Space.PAGE)
    cell = read(dot, 3267.9, True, 0)
    assert cell is not None and cell.text == "3,270"
    assert dot.y0 - 30 < cell.box.y1 <= dot.y0 + 1  # the label's own box, over the dot
    assert read(dot, 1500.0, True, 0) is None  # a number that disagrees with the measure is not taken
    assert read(dot, None, True, 0) is None  # nothing measured, nothing to check a reading against
    other = read(Box(297.5, 247.5, 302.5, 252.5, Space.PAGE), 2976.2, True, 0)
    assert other is not None and other.text == "2,976"


@pytest.mark.usefixtures("ocr_ready")
@pytest.mark.parametrize(("template", "at", "page", "printed"), [("power_plant", 5, 2, "777.3"),
                                                                 ("school_ops", 4, 1, "17,353")])
def test_a_label_by_a_gridline_or_the_chart_s_edge_is_read_not_measured(template, at, page, printed):
    """Two scanned charts whose label the one-line reading lost: a bar's ``777.3`` under a
    light gridline beside the axis, where Tesseract's own threshold kept the gridline and the
    trace the erased bar left (it read ``VES``), and a point's ``17,353`` at the chart's
    right edge. Read in black and white, with the rules crossing the cut made white."""
    from indexing.pipeline import PipelineOptions, process_pages
    from vlm.synth.collections import template_collection
    from vlm.synth.pdf import rasterise

    doc = template_collection(template, n_documents=8, seed=7).documents[at]
    scan = pymupdf.open(stream=rasterise(doc.pdf, dpi=200), filetype="pdf")
    cells = [c for rec in process_pages(scan, [page], PipelineOptions()) for r in rec.regions
             if r.table is not None and r.kind != "table" for c in r.table.cells]
    assert any(c.text == printed and not c.estimated for c in cells), [c.text for c in cells]


def test_a_label_is_looked_for_over_a_bar_and_over_or_under_a_point():
    bar = Box(190, 150, 210, 280, Space.PAGE)
    (over,) = label_zones(bar, 7.0, 60.0, point=False)
    assert over.y1 == bar.y0 and over.y0 < bar.y0 - 2 * 7.0 and over.width == 60.0
    assert len(label_zones(bar, 7.0, 60.0, point=True)) == 2


def test_a_thousands_comma_read_as_a_point_is_put_back_where_the_chart_has_no_decimals():
    axis = Axis(ticks=[], slope=1.0, offset=0.0, low=0.0, high=5000.0, decimals=0)
    label = Label("3.270", Box(0, 0, 10, 5, Space.PAGE), 3.27, 3)
    assert _comma_lost(label, 3267.9, axis, 0) == "3,270"
    assert _comma_lost(label, 1000.0, axis, 0) is None  # 3,270 is not what the mark measures
    assert _comma_lost(label, 3267.9, axis, 1) is None  # the chart prints decimals: 3.270 may be one


def test_the_decimals_a_garbled_label_is_mended_to_are_those_most_values_print():
    # read_chart raises the axis' decimals to the most any value prints: the misread 3.270
    # alone would make them three, and its comma would never be put back
    axis = Axis(ticks=[], slope=1.0, offset=0.0, low=0.0, high=5000.0, decimals=3)
    values = [Label(t, Box(0, 0, 10, 5, Space.PAGE), n, d)
              for t, n, d in (("1,250", 1250.0, 0), ("2,980", 2980.0, 0), ("3.270", 3.27, 3))]
    assert usual_decimals(values, axis) == 0
    assert _comma_lost(values[2], 3267.9, axis, usual_decimals(values, axis)) == "3,270"
    assert usual_decimals([], axis) == 3


def test_a_label_read_alone_must_keep_the_chart_s_decimals():
    from indexing.chart_data import _rereader
    from indexing.chart_words import Label as L

    # a chart printing one decimal: a label read "6" by a point measured 6.4 lost its ".5"
    ticks = [L("0.0", Box(0, 290, 10, 296, Space.PAGE), 0.0, 1), L("15.0", Box(0, 100, 10, 106, Space.PAGE), 15.0, 1)]
    axis = Axis(ticks=ticks, slope=-15.0 / 190, offset=15.0 * 296 / 190, low=0.0, high=15.0, decimals=1)
    cats = [L("2005년", Box(185, 300, 215, 306, Space.PAGE)), L("2006년", Box(265, 300, 295, 306, Space.PAGE))]
    image = _scanned_chart([(200, 200, "6")])
    read = _rereader(image, CHART, Marks(), ticks, axis, cats)
    assert read is not None
    assert read(Box(197.5, 197.5, 202.5, 202.5, Space.PAGE), 6.4, True, 1) is None
    assert read(Box(197.5, 197.5, 202.5, 202.5, Space.PAGE), 6.4, True, 0).text == "6"  # an integer chart's


def test_the_decimals_a_label_read_alone_must_print_are_those_of_the_labels_that_matched():
    from indexing.chart_data import _matched_decimals
    from indexing.chart_table import Cell

    # a scan lost most points: the printed values read 34, 31 and 33.1, matched as 3.4, 3.1, 33.1
    axis = Axis(ticks=[], slope=1.0, offset=0.0, low=0.0, high=40.0, decimals=1)
    values = [Label(t, Box(0, 0, 10, 5, Space.PAGE), n, d) for t, n, d in
              (("34", 34.0, 0), ("31", 31.0, 0), ("33.1", 33.1, 1), ("0", 0.0, 0))]
    assert usual_decimals(values, axis) == 0
    matched = {(0, 0): Cell("3.4", values[0].box), (0, 1): Cell("3.1", values[1].box),
               (0, 2): Cell("33.1", values[2].box)}
    assert _matched_decimals(matched, values, axis) == 1
    assert _matched_decimals({}, values, axis) == 0  # none matched: the printed values' own
