"""Table grid, markdown and serialisation."""

from indexing.geometry import Box
from indexing.model import Table, TableCell


def _table() -> Table:
    cells = [TableCell(0, 0, "항목"), TableCell(0, 1, "2022"), TableCell(0, 2, "2023"),
             TableCell(1, 0, "매출액"), TableCell(1, 1, "2,810"), TableCell(1, 2, "3,450", Box(1, 2, 3, 4)),
             TableCell(2, 0, "영업|이익"), TableCell(2, 1, "310"), TableCell(2, 2, "402")]
    return Table(cells, n_rows=3, n_cols=3)


def test_grid_places_cells():
    assert _table().grid() == [["항목", "2022", "2023"], ["매출액", "2,810", "3,450"], ["영업|이익", "310", "402"]]


def test_markdown_has_header_rule_and_escapes_pipes():
    md = _table().to_markdown().splitlines()
    assert md[0] == "| 항목 | 2022 | 2023 |"
    assert md[1] == "| --- | --- | --- |"
    assert md[3] == "| 영업\\|이익 | 310 | 402 |"


def test_dict_round_trip_keeps_boxes():
    t = _table()
    back = Table.from_dict(t.to_dict())
    assert back.grid() == t.grid()
    assert back.cells[5].box is not None and back.cells[5].box.as_list() == [1, 2, 3, 4]
