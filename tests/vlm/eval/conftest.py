"""Rendered items with known gold for the runner tests: a paragraph, a ruled table, a bar chart.

Every image is drawn here with PIL and NanumGothic, so the words, cells, bars and their boxes
are known exactly; the gold boxes are normalised to the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


@dataclass
class Drawn:
    image: Image.Image
    boxes: dict[str, list[float]]  # text -> its normalised box (first occurrence)
    words: list[dict]  # every word drawn: {"text", "bbox"}


class Canvas:
    def __init__(self, width: int, height: int, size: int = 30) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.font = ImageFont.truetype(FONT, size)
        self.boxes: dict[str, list[float]] = {}
        self.words: list[dict] = []

    def _norm(self, box: tuple[float, float, float, float]) -> list[float]:
        w, h = self.image.size
        return [box[0] / w, box[1] / h, box[2] / w, box[3] / h]

    def text(self, x: float, y: float, text: str, anchor: str = "la") -> list[float]:
        """Draw ``text``; record each word's box and the whole text's box."""
        self.draw.text((x, y), text, font=self.font, fill="black", anchor=anchor)
        full = self.draw.textbbox((x, y), text, font=self.font, anchor=anchor)
        left = full[0]
        for word in text.split(" "):
            wb = self.draw.textbbox((left, full[1]), word, font=self.font, anchor="la")
            box = self._norm((left, full[1], wb[2], full[3]))
            self.words.append({"text": word, "bbox": box})
            self.boxes.setdefault(word, box)
            left = self.draw.textbbox((left, full[1]), word + " ", font=self.font, anchor="la")[2]
        self.boxes.setdefault(text, self._norm(full))
        return self._norm(full)

    def done(self) -> Drawn:
        return Drawn(self.image, self.boxes, self.words)


def paragraph() -> Drawn:
    c = Canvas(1200, 260)
    c.text(30, 30, "대한민국의 수도는 서울특별시이다.")
    c.text(30, 100, "2023년 매출액은 3,450억 원으로 전년보다 12.5% 증가했다.")
    c.text(30, 170, "본사는 경기도 성남시에 있다.")
    return c.done()


TABLE = [["구분", "2022년", "2023년"], ["매출액", "2,980", "3,450"], ["영업이익", "410", "520"],
         ["직원 수", "1,200", "1,350"]]


def ruled_table() -> Drawn:
    c = Canvas(900, 20 + 70 * len(TABLE), size=28)
    x_edges, row_h = [20, 320, 600, 880], 70
    for r, row in enumerate(TABLE):
        for col, cell in enumerate(row):
            c.text((x_edges[col] + x_edges[col + 1]) / 2, 10 + r * row_h + row_h / 2, cell, anchor="mm")
    for r in range(len(TABLE) + 1):
        c.draw.line([(x_edges[0], 10 + r * row_h), (x_edges[-1], 10 + r * row_h)], fill="black", width=3)
    for x in x_edges:
        c.draw.line([(x, 10), (x, 10 + len(TABLE) * row_h)], fill="black", width=3)
    return c.done()


BARS = [("1분기", 120), ("2분기", 180), ("3분기", 150), ("4분기", 240)]


def bar_chart() -> Drawn:
    c = Canvas(1000, 700, size=26)
    c.text(500, 40, "분기별 판매량", anchor="mm")
    base, top, scale = 620, 120, 2.0  # y of value 0, y of the plot's top, pixels per unit
    c.draw.line([(100, top), (100, base)], fill="black", width=2)
    c.draw.line([(100, base), (950, base)], fill="black", width=2)
    for v in (0, 100, 200):
        c.text(90, base - v * scale, str(v), anchor="rm")
    for i, (label, value) in enumerate(BARS):
        x0 = 160 + i * 200
        c.draw.rectangle([x0, base - value * scale, x0 + 110, base], fill=(60, 90, 160))
        c.text(x0 + 55, base - value * scale - 22, str(value), anchor="mm")
        c.text(x0 + 55, base + 35, label, anchor="mm")
    return c.done()


@pytest.fixture(scope="session")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Drawn]]:
    """The three images, saved as PNG in one folder."""
    folder = tmp_path_factory.mktemp("eval-images")
    out = {}
    for name, make in (("paragraph", paragraph), ("table", ruled_table), ("chart", bar_chart)):
        d = make()
        path = folder / f"{name}.png"
        d.image.save(path)
        out[name] = (path, d)
    return out
