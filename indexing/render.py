"""Render pages to PIL images, with a pixel cap so a poster-sized page cannot exhaust memory.

The DPI actually used is returned with the image: it is lower than asked for when the cap
applies, and every pixel <-> page-point conversion must use the effective value.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pymupdf
from PIL import Image

from indexing.geometry import Box
from indexing.model import PageRecord
from indexing.textlayer import image_info

DEFAULT_MAX_PIXELS = 40_000_000  # about A0 at 150 dpi; an A4 page at 300 dpi is 8.7 MP


def effective_dpi(width_pt: float, height_pt: float, dpi: float,
                  max_pixels: int = DEFAULT_MAX_PIXELS) -> float:
    """``dpi``, lowered so that the page's render stays within ``max_pixels``."""
    scale = dpi / 72.0
    pixels = (width_pt * scale) * (height_pt * scale)
    if pixels <= max_pixels or pixels <= 0:
        return float(dpi)
    return float(dpi) * (max_pixels / pixels) ** 0.5


def render_page(page: pymupdf.Page, dpi: float, *, gray: bool = False,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[Image.Image, float]:
    """Render ``page`` at ``dpi`` (or lower, see ``effective_dpi``); returns (image, dpi used)."""
    rect = page.rect
    used = effective_dpi(rect.width, rect.height, dpi, max_pixels)
    zoom = used / 72.0
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False,
                          colorspace=pymupdf.csGRAY if gray else pymupdf.csRGB)
    return pixmap_to_image(pix), used


def scan_resolution(page: pymupdf.Page, min_cover: float = 0.8) -> float | None:
    """The DPI at which a full-page image sits on ``page`` (a scan), or None if there is none."""
    area = page.rect.width * page.rect.height
    best = None
    for info in image_info(page):
        box = pymupdf.Rect(info["bbox"]) & page.rect
        if area <= 0 or box.get_area() < min_cover * area or box.width <= 0 or box.height <= 0:
            continue
        dpi = min(info["width"] / (box.width / 72.0), info["height"] / (box.height / 72.0))
        best = dpi if best is None else max(best, dpi)
    return best


def ocr_resolution(page: pymupdf.Page, ocr_dpi: float, floor: float = 200.0) -> float:
    """The DPI to read ``page`` at: ``ocr_dpi``, but no finer than a scan's own resolution.

    Rendering a 200-dpi scan at 300 dpi only interpolates pixels; measured on rasterised
    copies, the gray render took 0.05 s a page instead of 0.17 s and Tesseract read the same
    words. Coarse scans are still scaled up to ``floor`` so that small print stays legible.
    """
    native = scan_resolution(page)
    if native is None:
        return ocr_dpi
    return min(ocr_dpi, max(native, floor))


def pixmap_to_image(pix: pymupdf.Pixmap) -> Image.Image:
    mode = {1: "L", 3: "RGB"}.get(pix.n)
    if mode is None or pix.alpha:
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix, 0)
        mode = "RGB"
    return Image.frombuffer(mode, (pix.width, pix.height), pix.samples, "raw", mode, pix.stride, 1)


def ink_ratio(image: Image.Image, threshold: int = 200) -> float:
    """Share of pixels darker than ``threshold``: about 0 for a blank page."""
    small = image.convert("L")
    if small.width > 400:  # a thumbnail decides blankness just as well, much faster
        small = small.reduce(max(1, small.width // 400))
    arr = np.asarray(small)
    return float((arr < threshold).mean()) if arr.size else 0.0


def crop_regions(rec: PageRecord, padding: float = 2.0) -> PageRecord:
    """Cut every region's image from the page render (no second render)."""
    if rec.image is None:
        return rec
    s = rec.page_to_pixel_scale()
    for region in rec.regions:
        box = crop_pixels(region.box, s, rec.image.size, padding)
        if box is not None:
            region.image = rec.image.crop(box)
    return rec


def crop_pixels(box: Box, scale: float, size: tuple[int, int],
                padding: float = 2.0) -> tuple[int, int, int, int] | None:
    """The whole pixels of a page render (``scale`` pixels a point, ``size``) that a crop of
    ``box`` with ``padding`` points around it covers; None when nothing is left."""
    w, h = size
    px = (max(0, math.floor((box.x0 - padding) * scale)), max(0, math.floor((box.y0 - padding) * scale)),
          min(w, math.ceil((box.x1 + padding) * scale)), min(h, math.ceil((box.y1 + padding) * scale)))
    return px if px[2] > px[0] and px[3] > px[1] else None


def draw_page(page: pymupdf.Page, dpi: float) -> Image.Image:
    """``page`` drawn at ``dpi`` exactly (the DPI a pipeline run recorded for it)."""
    zoom = dpi / 72.0
    return pixmap_to_image(page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False))


def draw_crop(page: pymupdf.Page, box: Box, dpi: float, padding: float = 2.0) -> Image.Image | None:
    """The crop of ``box`` drawn alone: the pixels ``crop_regions`` cuts from a render of the
    whole page at ``dpi``, for a fraction of its cost (None when nothing of it is on the page)."""
    matrix = pymupdf.Matrix(dpi / 72.0, dpi / 72.0)
    whole = (page.rect * matrix).round()  # the pixels a render of the whole page has
    px = crop_pixels(box, dpi / 72.0, (whole.width, whole.height), padding)
    if px is None:
        return None
    clip = pymupdf.Rect(*px) * ~matrix
    return pixmap_to_image(page.get_pixmap(matrix=matrix, clip=clip, alpha=False))


def png_bytes(image: Image.Image) -> bytes:
    """PNG at compression level 1: several times faster than the default, slightly larger."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    (image if image.mode in ("RGB", "L") else image.convert("RGB")).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def is_gray(image: Image.Image) -> bool:
    """True when every pixel has equal channels (black text on white, grey figures)."""
    if image.mode == "L":
        return True
    if image.mode != "RGB":
        return False
    arr = np.asarray(image)
    return bool(np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2]))


def one_channel(image: Image.Image) -> Image.Image:
    """A gray RGB image as mode L: the same pixels once converted back to RGB."""
    return image if image.mode == "L" else image.getchannel(0)


def encode_images(rec: PageRecord) -> PageRecord:
    """Replace the page's and its regions' images by encoded bytes. Done in page workers, this
    spreads the encoding over the cores and sends compressed bytes, not raw pixels, back.

    Crops, which the VLM reads, stay lossless (PNG). The page render, kept for display and
    for drawing located results, is a JPEG at quality 90: about the size of the PNG and seven
    times faster to encode (6 ms against 42 ms for an A4 page at 144 dpi). An image whose
    pixels are all gray (most crops of text) is encoded with one channel instead of three:
    the same pixels, a third of the bytes to filter and compress (``bench/ingest_profile.py``
    shows the PNG and JPEG costs per page)."""
    if rec.image is not None:
        rec.encoded = page_jpeg(rec.image)
        rec.image = None
    for region in rec.regions:
        if region.image is not None:
            region.pixel_size = region.image.size
            region.encoded = crop_png(region.image)
            region.image = None
    return rec


def page_jpeg(image: Image.Image) -> bytes:
    """A page render as stored: JPEG, one channel when every pixel is gray."""
    return jpeg_bytes(one_channel(image) if is_gray(image) else image)


def crop_png(image: Image.Image) -> bytes:
    """A crop image as stored: PNG (lossless, the VLM reads it), one channel when gray."""
    return png_bytes(one_channel(image) if is_gray(image) else image)
