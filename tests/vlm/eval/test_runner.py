"""The runner end to end on rendered items: the extractive backend reads them by OCR and gets
known ones right; the tiny random checkpoint runs every item and its garbage scores 0."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from indexing.ocr import tesseract_available
from vlm.eval import EvalOptions, evaluate, evaluate_file, load_items
from vlm.synth.records import EvalItem, write_jsonl

needs_ocr = pytest.mark.skipif(not tesseract_available(), reason="tesseract kor+eng not installed")


def build_items(drawn) -> list[EvalItem]:
    chart = drawn["chart"][1]
    return [
        EvalItem("capital", "qa", "대한민국의 수도는 어디인가?", "paragraph.png", "document",
                 answers=["서울특별시"]),
        EvalItem("revenue", "qa", "2023년 매출액은?", "table.png", "table", answers=["3,450"]),
        EvalItem("q3", "chart_qa", "3분기 판매량은?", "chart.png", "chart", answers=["150"]),
        EvalItem("profit", "mcq", "2022년 영업이익은?", "table.png", "table",
                 choices=["520", "2,980", "410", "1,200"], answer="C"),
        EvalItem("q4box", "grounding", "4분기 판매량은?", "chart.png", "chart",
                 bbox=chart.boxes["240"]),
        EvalItem("read", "ocr", "", "paragraph.png", "document", words=drawn["paragraph"][1].words),
    ]


@pytest.fixture(scope="module")
def eval_file(drawn) -> Path:
    folder = drawn["paragraph"][0].parent
    path = folder / "eval.jsonl"
    write_jsonl(path, build_items(drawn))
    return path


@needs_ocr
def test_extractive_backend_reads_the_images_and_answers(eval_file: Path) -> None:
    from vlm.backends import get_backend

    done: list[tuple[int, int]] = []
    report = evaluate_file(eval_file, get_backend("extractive"), EvalOptions(circular=True, batch_size=4),
                           progress=lambda i, n: done.append((i, n)))
    assert done == [(4, 6), (6, 6)]
    by_id = {it.id: it for it in report.items}
    assert by_id["capital"].prediction == "서울특별시" and by_id["capital"].scores["exact_match"] == 1.0
    assert by_id["revenue"].scores["exact_match"] == 1.0  # the ruled table's cell
    assert by_id["q3"].scores["relaxed_accuracy"] == 1.0  # the bar chart's measured table
    # the bare question is answered "410", which is option C in every rotation
    assert by_id["profit"].rotations == ["C"] * 4 and by_id["profit"].scores["circular_accuracy"] == 1.0
    assert by_id["q4box"].scores["iou"] >= 0.5  # the box of the "240" label
    assert by_id["read"].scores["f1"] > 0.6  # the OCR's own words against the drawn ones
    assert report.row("qa").metrics["exact_match"] == 1.0
    assert report.row("qa", "table").n == 1
    assert report.row("mcq").metrics == {"accuracy": 1.0, "circular_accuracy": 1.0}
    assert [f.id for f in report.failures] == ["read"]  # OCR is not word-perfect
    out = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert out["n"] == 6 and out["backend"] == "extractive"


def test_tiny_checkpoint_runs_every_item_and_scores_garbage(eval_file: Path, tiny_config,
                                                          tiny_loaded) -> None:
    from vlm.backends.transformers_backend import TransformersBackend

    # images shrunk to one 384-pixel tile: the same path through AnyRes, a fraction of the time
    backend = TransformersBackend(replace(tiny_config, max_image_side=384), loaded=tiny_loaded)
    items = load_items(eval_file)
    report = evaluate(items, backend, EvalOptions(circular=True, batch_size=3))
    assert [it.id for it in report.items] == [it.id for it in items]
    for it in report.items:
        assert it.scores and all(0.0 <= v <= 1.0 for v in it.scores.values()), it
    by_id = {it.id: it for it in report.items}
    assert by_id["capital"].scores["exact_match"] == 0.0  # random weights: garbage scores 0
    assert by_id["q4box"].scores["acc@0.5"] == 0.0
    mcq = next(it for it in report.items if it.task == "mcq")
    assert len(mcq.rotations) == 4
    assert {r.task for r in report.tasks} == {"qa", "chart_qa", "mcq", "grounding", "ocr"}
    json.dumps(report.to_json(with_items=True), ensure_ascii=False)
