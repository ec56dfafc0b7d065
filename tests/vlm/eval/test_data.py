"""Loading items: our JSONL with relative image paths, K-DTCBench's flat fields in TSV and JSONL."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from vlm.eval.data import is_inline_image, load_items, open_image
from vlm.synth.records import EvalItem, RecordError, write_jsonl


def png_base64(color: str = "red", fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buf, format=fmt)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def kdtc_row(index: int, answer: str = "b") -> dict[str, str]:
    return {"index": str(index), "question": "표에서 가장 큰 값은?", "choice_a": "10",
            "choice_b": "20", "choice_c": "30", "choice_d": "40", "answer": answer,
            "category": "table", "image": png_base64(), "l2-category": "extra column"}


def test_kdtcbench_tsv_with_base64_images_loads(tmp_path: Path) -> None:
    path = tmp_path / "K-DTCBench.tsv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(kdtc_row(0)), delimiter="\t")
        writer.writeheader()
        jpeg = {**kdtc_row(1, "D"), "image": png_base64(fmt="JPEG")}  # base64 "/9j/...": not a path
        writer.writerows([kdtc_row(0), jpeg])
    items = load_items(path)
    assert [(it.id, it.task, it.answer, it.category) for it in items] == [
        ("0", "mcq", "B", "table"), ("1", "mcq", "D", "table")]  # the letter upper-cased
    assert items[0].choices == ["10", "20", "30", "40"]
    assert is_inline_image(items[0].image)
    assert open_image(items[0].image).size == (32, 24)
    assert items[1].image.startswith("/9j/") and open_image(items[1].image).size == (32, 24)
    assert len(load_items(path, limit=1)) == 1


def test_kdtcbench_jsonl_and_data_url(tmp_path: Path) -> None:
    row = kdtc_row(7)
    row["image"] = "data:image/png;base64," + png_base64("blue")
    path = tmp_path / "kdtc.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    [item] = load_items(path)
    assert item.id == "7" and item.task == "mcq"
    assert open_image(item.image).getpixel((0, 0)) == (0, 0, 255)


def test_eval_items_with_relative_image_paths(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (10, 10), "white").save(tmp_path / "images" / "a.png")
    path = tmp_path / "sub" / "eval.jsonl"
    items = [EvalItem("1", "qa", "질문?", "../images/a.png", "document", answer="답"),
             EvalItem("2", "grounding", "찾아라", None, "chart", bbox=[0.1, 0.1, 0.2, 0.2])]
    write_jsonl(path, items)
    loaded = load_items(path)
    assert Path(loaded[0].image).resolve() == (tmp_path / "images" / "a.png").resolve()
    assert loaded[0].answers == ["답"] and loaded[1].image is None


@pytest.mark.parametrize(("line", "message"), [
    ('{"task": "mcq", "question": "q", "choices": ["a"], "answer": "A"}', "four choices"),
    ('{"task": "summarise", "question": "q"}', "is not one of"),
    ('{"task": "qa", "question": "q", "image": "missing.png"}', "no such file"),
    ("not json", "not JSON"),
    ("[1, 2]", "expected a JSON object"),
])
def test_bad_records_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"task": "qa", "question": "fine", "answer": "x"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match=message) as info:
        load_items(path)
    assert f"{path}:2" in str(info.value)


def test_missing_file_and_unreadable_image(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_items(tmp_path / "nope.jsonl")
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(RecordError, match="cannot read the image"):
        open_image(str(tmp_path / "x.png"))
