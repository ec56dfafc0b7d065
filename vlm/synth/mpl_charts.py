"""Charts drawn with matplotlib in a Nanum font, and where every text and mark landed.

Kinds: ``bar``, ``barh``, ``line`` (one or several series), ``stacked`` (stacked bars) and
``pie``. Every value carries a printed label (over a bar, beside a horizontal bar, above a
point, inside a segment or slice). After drawing, matplotlib's renderer gives the window
extent of every text artist and mark; they come back in pixels of the image (origin top-left)
as a :class:`~vlm.synth.rendered.Layout`: the chart truth and every word drawn.

No pyplot: a ``Figure`` with its own Agg canvas leaves matplotlib's global state alone (the
Nanum fonts are registered once; rc settings apply only inside the drawing).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from PIL import Image

from indexing.geometry import Box, Space
from vlm.synth.rendered import ChartPoint, ChartTruth, Layout, TextBox
from vlm.synth.topics import ChartData
from vlm.synth.typeset import font_path

PALETTES = (("#3a6bb0", "#f29e38", "#1f2a38", "#6aa56a", "#b94a48", "#8e7cc3"),
            ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"),
            ("#2f4b7c", "#ffa600", "#a05195", "#665191", "#d45087", "#f95d6a"),
            ("#5b8e7d", "#bc4b51", "#f4a259", "#8cb369", "#264653", "#e9c46a"))


# What a plot drew for one value: series, category, value, printed text, the label's artist
# and the mark (an artist, or ("point", x, y) for a line's marker).
Drawn = tuple[str, str, float, str, Any, Any]
Colors = tuple[str, ...]


@dataclass(slots=True)
class MplChart:
    """The chart as an RGB image and its layout in pixels of that image."""

    image: Image.Image
    layout: Layout


@cache
def _fonts(family: str) -> tuple[str, font_manager.FontProperties]:
    """Register the family with matplotlib once; its name and the bold face's properties."""
    regular, bold = font_path(family, False), font_path(family, True)
    for path in (regular, bold):
        font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(regular)).get_name(), \
        font_manager.FontProperties(fname=str(bold))


def draw_chart(data: ChartData, family: str, rng: random.Random,
               size: tuple[int, int] = (680, 440)) -> MplChart:
    """Draw ``data`` ``size`` pixels large in ``family``; styles (palette, grid) from ``rng``."""
    name, bold = _fonts(family)
    dpi = 100
    colors = rng.choice(PALETTES)
    fontsize = rng.choice((9.0, 10.0, 11.0))
    grid = rng.random() < 0.6
    with matplotlib.rc_context({"font.family": [name], "axes.unicode_minus": False,
                                "font.size": fontsize}):
        fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        drawn = _PLOTS[data.kind](ax, data, colors)
        _style(ax, data, grid)
        legend = None
        if len(data.series) > 1:
            legend = ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False,
                               ncols=len(data.series), fontsize=fontsize)
        ax.set_title(data.title, fontproperties=bold, fontsize=fontsize + 3,
                     pad=26 if legend else 10)
        fig.tight_layout()
        canvas.draw()
        layout = _truth(fig, ax, canvas.get_renderer(), data, drawn, legend)
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                                 "raw", "RGBA", 0, 1).convert("RGB")
    return MplChart(image, layout)


# -- plots: each returns (series, category, value, text, label artist, mark box function) ----


def _bar(ax: Axes, data: ChartData, colors: Colors) -> list[Drawn]:
    s = data.series[0]
    x = np.arange(len(data.categories))
    bars = ax.bar(x, s.values, width=0.6, color=colors[0])
    labels = ax.bar_label(bars, labels=s.texts, padding=3)
    ax.set_xticks(x, labels=data.categories)
    ax.set_ylim(0, max(s.values) * 1.18)
    return [(s.name, c, v, t, lab, bar) for c, v, t, lab, bar
            in zip(data.categories, s.values, s.texts, labels, bars, strict=True)]


def _barh(ax: Axes, data: ChartData, colors: Colors) -> list[Drawn]:
    s = data.series[0]
    y = np.arange(len(data.categories))
    bars = ax.barh(y, s.values, height=0.6, color=colors[0])
    labels = ax.bar_label(bars, labels=s.texts, padding=3)
    ax.set_yticks(y, labels=data.categories)
    ax.invert_yaxis()  # the first category on top, as tables read
    ax.set_xlim(0, max(s.values) * 1.25)
    return [(s.name, c, v, t, lab, bar) for c, v, t, lab, bar
            in zip(data.categories, s.values, s.texts, labels, bars, strict=True)]


def _line(ax: Axes, data: ChartData, colors: Colors) -> list[Drawn]:
    x = np.arange(len(data.categories))
    out = []
    for i, s in enumerate(data.series):
        ax.plot(x, s.values, marker="o", markersize=6, linewidth=2, color=colors[i],
                label=s.name or None)
        for xi, c, v, t in zip(x, data.categories, s.values, s.texts, strict=True):
            lab = ax.annotate(t, (xi, v), xytext=(0, 7), textcoords="offset points",
                              ha="center", va="bottom")
            out.append((s.name, c, v, t, lab, ("point", xi, v)))
    ax.set_xticks(x, labels=data.categories)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_ylim(0, max(v for s in data.series for v in s.values) * 1.2)
    return out


def _stacked(ax: Axes, data: ChartData, colors: Colors) -> list[Drawn]:
    x = np.arange(len(data.categories))
    below = np.zeros(len(x))
    out = []
    for i, s in enumerate(data.series):
        bars = ax.bar(x, s.values, width=0.6, bottom=below, color=colors[i], label=s.name,
                      edgecolor="white", linewidth=0.6)
        labels = ax.bar_label(bars, labels=s.texts, label_type="center",
                              color=_ink(colors[i]))
        below += np.asarray(s.values)
        out += [(s.name, c, v, t, lab, bar) for c, v, t, lab, bar
                in zip(data.categories, s.values, s.texts, labels, bars, strict=True)]
    ax.set_xticks(x, labels=data.categories)
    ax.set_ylim(0, below.max() * 1.1)
    return out


def _pie(ax: Axes, data: ChartData, colors: Colors) -> list[Drawn]:
    s = data.series[0]
    wedges, _names, shares = ax.pie(
        s.values, labels=data.categories, autopct="%.1f%%", startangle=90, counterclock=False,
        colors=colors[:len(s.values)], pctdistance=0.72, labeldistance=1.08,
        wedgeprops={"edgecolor": "white", "linewidth": 1})
    for text, printed, color in zip(shares, s.texts, colors, strict=False):
        text.set_text(printed)  # the printed share, not matplotlib's own rounding
        text.set_color(_ink(color))
    ax.set_aspect("equal")
    return [(s.name, c, v, t, lab, w) for c, v, t, lab, w
            in zip(data.categories, s.values, s.texts, shares, wedges, strict=True)]


_PLOTS = {"bar": _bar, "barh": _barh, "line": _line, "stacked": _stacked, "pie": _pie}


def _style(ax: Axes, data: ChartData, grid: bool) -> None:
    if data.kind == "pie":
        return
    decimals = max((len(t.partition(".")[2]) for s in data.series for t in s.texts), default=0)
    fmt = FuncFormatter(lambda v, _pos: f"{v:,.{min(decimals, 1)}f}")
    value_axis = ax.xaxis if data.kind == "barh" else ax.yaxis
    value_axis.set_major_formatter(fmt)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(axis="x" if data.kind == "barh" else "y", alpha=0.35)
        ax.set_axisbelow(True)


def _ink(color: str) -> str:
    """White text on a dark fill, black on a light one."""
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.55 else "black"


# -- truth -------------------------------------------------------------------------------------


def _truth(fig: Figure, ax: Axes, renderer: Any, data: ChartData, drawn: list[Drawn],
           legend: Any) -> Layout:
    height = fig.bbox.height

    def box(ext: Any) -> Box:
        return Box(ext.x0, height - ext.y1, ext.x1, height - ext.y0, Space.PIXEL)

    def mark(m: Any) -> Box:
        if isinstance(m, tuple):  # a line's point: its marker around the data point
            x, y = ax.transData.transform((m[1], m[2]))
            r = 3 * fig.dpi / 72 + 1
            return Box(x - r, height - y - r, x + r, height - y + r, Space.PIXEL)
        return box(m.get_window_extent(renderer))

    points = [ChartPoint(s, c, float(v), t, box(lab.get_window_extent(renderer)), mark(m))
              for s, c, v, t, lab, m in drawn]
    texts = [ax.title, *(lab for *_, lab, _m in drawn)]
    if data.kind == "pie":
        texts += [t for t in ax.texts if t not in texts]  # the slices' names
    else:
        texts += _tick_labels(ax)
    if legend is not None:
        texts += list(legend.get_texts())
    words = [w for t in texts if t.get_text().strip() for w in _words(t, renderer, box)]
    title = TextBox(data.title, box(ax.title.get_window_extent(renderer)))
    frame = Box(0, 0, fig.bbox.width, height, Space.PIXEL)
    truth = ChartTruth(data.kind, "matplotlib", title, data.quantity, data.unit,
                       list(data.categories), [s.name for s in data.series], points, frame)
    return Layout(words=words, title=title, chart=truth)


def _tick_labels(ax: Axes) -> list[Any]:
    """The tick labels drawn: ticks inside the axis' view, with text."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        lo, hi = sorted(axis.get_view_interval())
        out += [t.label1 for t in axis.get_major_ticks()
                if lo - 1e-9 <= t.get_loc() <= hi + 1e-9 and t.label1.get_visible()]
    return out


def _words(artist: Any, renderer: Any, box: Any) -> list[TextBox]:
    """One box per space-separated word, from the widths of the text's prefixes."""
    text = artist.get_text()
    ext = artist.get_window_extent(renderer)
    whole = box(ext)
    if " " not in text.strip():
        return [TextBox(text.strip(), whole)]
    prop = artist.get_fontproperties()

    def width(s: str) -> float:
        return renderer.get_text_width_height_descent(s, prop, ismath=False)[0]

    scale = ext.width / max(width(text), 1e-6)
    out, pos = [], 0
    for word in text.split():
        start = text.index(word, pos)
        pos = start + len(word)
        x1 = whole.x0 + width(text[:pos]) * scale
        out.append(TextBox(word, Box(x1 - width(word) * scale, whole.y0, x1, whole.y1,
                                     Space.PIXEL)))
    return out
