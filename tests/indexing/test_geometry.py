"""Boxes know their space; crop frames map between normalised, pixel and page boxes."""

import pytest

from indexing.geometry import Box, CoordinateSpaceError, CropFrame, Space


def test_from_corners_orders_swapped_corners():
    b = Box.from_corners(10, 20, 2, 4, Space.PAGE)
    assert (b.x0, b.y0, b.x1, b.y1) == (2, 4, 10, 20)


def test_mixing_spaces_raises():
    page = Box(0, 0, 10, 10, Space.PAGE)
    norm = Box(0, 0, 0.5, 0.5, Space.NORM)
    with pytest.raises(CoordinateSpaceError):
        page.intersect(norm)
    with pytest.raises(CoordinateSpaceError):
        page.iou(norm)


def test_iou_and_overlap_by_hand():
    a = Box(0, 0, 10, 10)
    b = Box(5, 0, 15, 10)
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.overlap_ratio(b) == pytest.approx(0.5)
    assert a.union(b).as_list() == [0, 0, 15, 10]


def test_clip_keeps_space_and_bounds():
    b = Box(-5, -1, 2, 3, Space.NORM).clip(1, 1)
    assert b.as_list() == [0, 0, 1, 1] and b.space == Space.NORM


def test_frame_norm_page_round_trip():
    frame = CropFrame(Box(72, 220, 512, 308, Space.PAGE), pixel_size=(880, 176))
    norm = Box(0.25, 0.5, 0.75, 1.0, Space.NORM)
    page = frame.norm_to_page(norm)
    assert page.space == Space.PAGE
    assert page.as_list() == [182.0, 264.0, 402.0, 308.0]
    back = frame.page_to_norm(page)
    assert back.as_list(6) == pytest.approx(norm.as_list(6))


def test_frame_pixel_round_trip_and_space_checks():
    frame = CropFrame(Box(100, 100, 300, 200, Space.PAGE), pixel_size=(400, 200))
    px = Box(200, 100, 400, 200, Space.PIXEL)
    page = frame.pixel_to_page(px)
    assert page.as_list() == [200.0, 150.0, 300.0, 200.0]
    assert frame.page_to_pixel(page).as_list() == px.as_list()
    with pytest.raises(CoordinateSpaceError):
        frame.norm_to_page(px)
    with pytest.raises(CoordinateSpaceError):
        CropFrame(Box(0, 0, 1, 1, Space.NORM), (10, 10))
    with pytest.raises(ValueError):
        CropFrame(Box(0, 0, 1, 1), (0, 10))
