"""Scan degradation of a rendered image: a small rotation (boxes rotated with it), gray paper,
blur, sensor noise and a JPEG re-encode, all drawn from one ``random.Random``.

:func:`degrade` returns the degraded image, its JPEG bytes (the file to write: re-decoding
them gives the same pixels the boxes were checked against) and the function that moves a
``Space.NORM`` box of the clean image onto the scan: the axis-aligned box around its rotated
corners, clipped to the image.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from indexing.geometry import Box, Space

MAX_ANGLE = 1.5  # degrees: a page laid on a scanner glass by hand


@dataclass(frozen=True, slots=True)
class Scan:
    image: Image.Image  # RGB, decoded from ``data``
    data: bytes  # JPEG
    params: dict[str, float]
    move: Callable[[Box], Box]  # a NORM box of the clean image -> its NORM box on the scan


def rotate_box(box: Box, angle: float, size: tuple[int, int]) -> Box:
    """Where a NORM box lands when the image turns ``angle`` degrees counter-clockwise about
    its centre (PIL's ``rotate`` without expansion)."""
    w, h = size
    t = math.radians(angle)
    cos, sin = math.cos(t), math.sin(t)
    xs, ys = [], []
    for x, y in ((box.x0, box.y0), (box.x1, box.y0), (box.x0, box.y1), (box.x1, box.y1)):
        dx, dy = x * w - w / 2, y * h - h / 2
        xs.append((w / 2 + dx * cos + dy * sin) / w)
        ys.append((h / 2 - dx * sin + dy * cos) / h)
    clip = lambda v: min(max(v, 0.0), 1.0)  # noqa: E731
    return Box(clip(min(xs)), clip(min(ys)), clip(max(xs)), clip(max(ys)), Space.NORM)


def degrade(image: Image.Image, rng: random.Random, max_angle: float = MAX_ANGLE) -> Scan:
    """A scanned copy of ``image``; every parameter comes from ``rng`` (see ``Scan.params``)."""
    params = {
        "angle": round(rng.uniform(-max_angle, max_angle), 3),
        "gray": float(rng.random() < 0.6),
        "paper": float(rng.randint(232, 250)),
        "blur": round(rng.uniform(0.3, 0.9), 3),
        "noise": round(rng.uniform(3.0, 9.0), 3),
        "quality": float(rng.randint(55, 85)),
    }
    seed = rng.getrandbits(32)
    paper = int(params["paper"])
    img = image.convert("RGB")
    # Paper: white goes to the sheet's tone, ink keeps its darkness.
    arr = np.asarray(img, dtype=np.float32) * (paper / 255.0)
    img = Image.fromarray(arr.round().astype(np.uint8))
    img = img.rotate(params["angle"], resample=Image.Resampling.BICUBIC, expand=False,
                     fillcolor=(paper, paper, paper))
    img = img.filter(ImageFilter.GaussianBlur(params["blur"]))
    arr = np.asarray(img, dtype=np.float32)
    arr += np.random.default_rng(seed).normal(0.0, params["noise"], arr.shape[:2])[..., None]
    img = Image.fromarray(np.clip(arr, 0, 255).round().astype(np.uint8))
    if params["gray"]:
        img = img.convert("L")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(params["quality"]))
    data = buf.getvalue()
    scanned = Image.open(io.BytesIO(data)).convert("RGB")
    size = image.size
    return Scan(scanned, data, params, lambda b: rotate_box(b, params["angle"], size))
