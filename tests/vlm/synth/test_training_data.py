"""The training and evaluation data: reproducible, parseable, and its boxes on the ink."""

from __future__ import annotations

import difflib
import io
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from indexing.geometry import Box, Space
from vlm.parsing import parse_ocr, parse_output
from vlm.synth.degrade import degrade, rotate_box
from vlm.synth.mcq import LETTERS, make_mcq
from vlm.synth.mpl_charts import draw_chart
from vlm.synth.preference import CLAIMS
from vlm.synth.questions import questions_for
from vlm.synth.records import (
    REJECTIONS,
    conversation_from_json,
    eval_item_from_json,
    preference_from_json,
    read_jsonl,
)
from vlm.synth.rendered import TextBox
from vlm.synth.tasks import ocr_items
from vlm.synth.topics import CHART_KINDS, TOPICS, sample_content
from vlm.synth.training_set import FILES, build_training_set, content_hash, draw_document

N = 8
FRACTIONS = {"scan_fraction": 0.3, "english_fraction": 0.2}
HANGUL = re.compile("[가-힣]")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth") / "set"
    return out, build_training_set(out, N, seed=0, **FRACTIONS)


@pytest.fixture(scope="module")
def docs() -> list:
    """The same set's training documents, rendered again in memory with their truth."""
    return [draw_document("train", 0, i, **FRACTIONS)[0] for i in range(N)]


def records(out: Path, name: str) -> list[dict]:
    return [obj for _, obj in read_jsonl(out / name)]


def gray(out: Path, ref: str) -> np.ndarray:
    return np.asarray(Image.open(out / ref).convert("L"), dtype=np.float32)


def ink(img: np.ndarray, box: Box) -> float:
    """Share of the box's pixels far from its median tone: strokes, dark on light or light on
    dark; a flat background or the inside of a bar scores 0."""
    h, w = img.shape
    x0, y0 = int(box.x0 * w), int(box.y0 * h)
    x1, y1 = max(int(np.ceil(box.x1 * w)), x0 + 1), max(int(np.ceil(box.y1 * h)), y0 + 1)
    crop = img[y0:y1, x0:x1]
    return float((np.abs(crop - np.median(crop)) > 40).mean()) if crop.size else 0.0


def tesseract(img: Image.Image, box: Box) -> str:
    w, h = img.size
    crop = img.convert("L").crop((int(box.x0 * w) - 4, int(box.y0 * h) - 4,
                                  int(box.x1 * w) + 4, int(box.y1 * h) + 4))
    crop = crop.resize((crop.width * 3, crop.height * 3), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    crop.save(buf, format="PNG")
    run = subprocess.run(["tesseract", "-", "-", "-l", "kor+eng", "--psm", "7"],
                         input=buf.getvalue(), capture_output=True, timeout=30, check=False)
    return run.stdout.decode("utf-8", "replace").strip()


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.replace(" ", ""), b.replace(" ", "")).ratio()


# -- reproducibility ---------------------------------------------------------------------------


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(built, tmp_path: Path) -> None:
    out, manifest = built
    again = build_training_set(tmp_path / "again", N, seed=0, **FRACTIONS)
    assert again == manifest
    assert snapshot(tmp_path / "again") == snapshot(out)
    other = build_training_set(tmp_path / "other", 3, seed=1, **FRACTIONS)
    assert other["sha256"] != manifest["sha256"]
    first = (tmp_path / "other" / "images").iterdir()
    assert not {p.name for p in first} & {p.name for p in (out / "images").iterdir()}
    # A document's records do not depend on how many documents were asked for.
    small = build_training_set(tmp_path / "small", 3, seed=0, **FRACTIONS)
    big_lines = (out / "captions.jsonl").read_text().splitlines()
    assert (tmp_path / "small" / "captions.jsonl").read_text().splitlines() == big_lines[:12]
    assert small["counts"]["captions.jsonl"] == 12


def test_manifest_counts_and_hash(built) -> None:
    out, manifest = built
    assert manifest["seed"] == 0 and manifest["n_documents"] == N
    assert set(manifest["counts"]) == set(FILES)
    for name in FILES:
        assert manifest["counts"][name] == len(records(out, name)) > 0, name
    assert manifest["sha256"] == content_hash(out)
    assert json.loads((out / "manifest.json").read_text()) == manifest
    sizes = [Image.open(p).size for p in (out / "images").iterdir()]
    assert len(sizes) == manifest["images"] and all(max(s) <= 1400 for s in sizes)


# -- records -----------------------------------------------------------------------------------


def test_every_record_reads_back(built) -> None:
    out, _ = built
    for name in ("captions.jsonl", "instruct.jsonl", "ocr.jsonl", "grounding.jsonl",
                 "pages_hr.jsonl", "text.jsonl"):
        for where, obj in read_jsonl(out / name):
            conv = conversation_from_json(obj, where)
            human = conv.turns[0].value
            if name == "text.jsonl":
                assert conv.task == "text" and conv.image is None
                assert all("<image>" not in t.value for t in conv.turns)
            else:
                assert human.startswith("<image>\n") and (out / conv.image).is_file(), where
    tasks = {o["task"] for n in ("instruct.jsonl", "grounding.jsonl") for o in records(out, n)}
    assert tasks == {"qa", "mcq", "grounding", "referring"}
    for where, obj in read_jsonl(out / "preference.jsonl"):
        assert (out / preference_from_json(obj, where).image).is_file()
    items = [eval_item_from_json(o, w) for w, o in read_jsonl(out / "eval.jsonl")]
    assert {i.task for i in items} == {"mcq", "qa", "chart_qa", "grounding", "ocr"}
    assert {i.category for i in items} == {"document", "table", "chart"}
    assert all(i.image.startswith("images/e") for i in items)  # held-out documents only
    for i in items:
        if i.task == "grounding":
            x0, y0, x1, y1 = i.bbox
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        if i.task == "ocr":
            assert i.words and all(len(w["bbox"]) == 4 for w in i.words)
        if i.task in ("qa", "chart_qa"):
            assert i.answers and i.answer in i.answers


def test_ocr_targets_parse_to_the_drawn_words(built, docs) -> None:
    out, _ = built
    by_image = {r["image"]: r for n in ("ocr.jsonl", "pages_hr.jsonl")
                for r in records(out, n) if r["task"] == "ocr"}
    for doc in docs:
        for part in doc.parts.values():
            rec = by_image[f"images/{part.id}{part.suffix}"]
            assert rec["conversations"][0]["value"] == "<image>\n<ocr>"
            spans = parse_ocr(rec["conversations"][1]["value"])
            want = ocr_items(part)
            assert [s.text for s in spans] == [w.text for w in want]
            for s, w in zip(spans, want, strict=True):
                (b,) = s.boxes
                for got, exp in zip(b.as_list(None), w.box.as_list(None), strict=True):
                    assert abs(got - min(max(exp, 0.0), 1.0)) <= 0.0006


def test_grounded_answers_parse_with_boxes(built) -> None:
    out, _ = built
    qa = [r for r in records(out, "instruct.jsonl") + records(out, "pages_hr.jsonl")
          if r["task"] == "qa"]
    grounded = [r for r in qa if "<gro>" in r["conversations"][0]["value"]]
    assert 0 < len(grounded) < len(qa)
    for r in qa:
        parsed = parse_output(r["conversations"][1]["value"])
        if r in grounded:
            assert parsed.grounded and all(s.kind == "char" for s in parsed.grounded), r["id"]
        else:
            assert not parsed.boxes, r["id"]
    for r in records(out, "grounding.jsonl"):
        parsed = parse_output(r["conversations"][1]["value"])
        if r["task"] == "grounding":
            assert len(parsed.grounded) == 1 and parsed.grounded[0].kind in ("char", "obj")
        else:
            assert not parsed.boxes and parsed.text
            assert "<bbox>" in r["conversations"][0]["value"]


def test_english_documents_are_english(built, docs) -> None:
    out, _ = built
    english = {d.meta.id for d in docs if d.meta.lang == "en"}
    assert english and len(english) < N
    for name in ("captions.jsonl", "instruct.jsonl", "grounding.jsonl", "pages_hr.jsonl"):
        for r in records(out, name):
            if r["id"].rsplit("-", 3)[0] in english:
                assert not any(HANGUL.search(t["value"]) for t in r["conversations"]), r["id"]


# -- boxes on the ink --------------------------------------------------------------------------


def test_ocr_boxes_hold_ink_and_the_margin_does_not(built) -> None:
    out, _ = built
    scanned = 0
    for name in ("ocr.jsonl", "pages_hr.jsonl"):
        for r in records(out, name):
            if r["task"] != "ocr":
                continue
            img = gray(out, r["image"])
            scanned += r["image"].endswith(".jpg")
            spans = parse_ocr(r["conversations"][1]["value"])
            inks = [ink(img, s.boxes[0]) for s in spans]
            assert min(inks) > 0.01 and np.mean(inks) > 0.1, r["id"]
            if name == "pages_hr.jsonl":  # a page: the same boxes moved into the left margin
                for s in spans:
                    b = s.boxes[0]
                    moved = Box(0.005, b.y0, 0.005 + min(b.x1 - b.x0, 0.05), b.y1, Space.NORM)
                    assert ink(img, moved) < 0.005, (r["id"], s.text)
    assert scanned > 0


def test_grounded_spans_cover_their_text(built) -> None:
    out, _ = built
    for r in records(out, "instruct.jsonl") + records(out, "grounding.jsonl"):
        reply = r["conversations"][-1]["value"]
        if "<char>" not in reply:
            continue
        img = gray(out, r["image"])
        for s in parse_output(reply).grounded:
            if s.kind == "char":
                assert ink(img, s.boxes[0]) > 0.01, (r["id"], s.text)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs the tesseract binary")
def test_tesseract_reads_what_the_boxes_say(docs) -> None:
    picked: list[tuple[Image.Image, TextBox]] = []
    for doc in docs[:4]:
        table = doc.parts["table"]
        cells = sorted(table.layout.table.cells.values(), key=lambda c: c.text)
        picked += [(table.image, cells[0]), (table.image, table.layout.table.headers[1])]
        chart = doc.parts["chart"].layout.chart
        picked.append((doc.parts["chart"].image, TextBox(chart.points[0].text,
                                                         chart.points[0].label)))
    scores = [similar(t.text, tesseract(img, t.box)) for img, t in picked]
    assert np.mean(scores) > 0.7 and sum(s >= 0.8 for s in scores) >= len(scores) // 2, scores


# -- answers -----------------------------------------------------------------------------------


def test_multi_step_answers_are_the_arithmetic_on_the_table(docs) -> None:
    seen = set()
    for doc in docs:
        for k in range(3):
            r = doc.parts["table"]
            t = r.layout.table
            for key, cell in t.cells.items():  # the drawn cells hold the document's numbers
                assert cell.text == doc.content.table.texts[key]
            for qa in questions_for(r, random.Random(k)):
                seen.add(qa.kind)
                vals = [t.value(*key) for key in qa.operands]
                match qa.kind:
                    case "diff":
                        assert qa.value == pytest.approx(vals[1] - vals[0])
                    case "sum":
                        assert qa.value == pytest.approx(sum(vals))
                        assert len(vals) == len(t.rows)
                    case "pct":
                        assert qa.value == round((vals[1] - vals[0]) / vals[0] * 100, 1)
                    case "max" | "min":
                        (row, metric, year), = qa.operands
                        column = [t.value(x, metric, year) for x in t.rows]
                        assert qa.value == (max if qa.kind == "max" else min)(column)
                        assert qa.short == row
                    case "lookup":
                        assert qa.value == vals[0]
                if qa.kind != "lookup" and qa.value is not None and qa.kind not in ("max", "min"):
                    shown = qa.short.replace(",", "").rstrip("%")
                    assert float(re.search(r"-?[\d.]+", shown).group()) == pytest.approx(
                        abs(qa.value) if qa.kind == "diff" else qa.value, abs=1e-6)
    assert {"lookup", "diff", "sum", "pct"} <= seen and seen & {"max", "min"}


def test_written_multi_step_answers_agree_with_their_evidence(built) -> None:
    """In the files: a total is the sum of its cited cells, a change their difference, a
    percent change their relative difference."""
    out, _ = built
    number = lambda s: float(s.replace(",", ""))  # noqa: E731
    checked = 0
    for r in records(out, "instruct.jsonl") + records(out, "pages_hr.jsonl"):
        reply = r["conversations"][-1]["value"]
        if r["task"] != "qa" or "<char>" not in reply:
            continue
        cited = [s.text for s in parse_output(reply).grounded]
        if not cited or not all(re.fullmatch(r"-?[\d,]+(\.\d+)?", c) for c in cited):
            continue
        sentence = reply.split("<char>")[0]
        first = re.search(r"(-?\d[\d,]*(?:\.\d+)?)(%(?!p)|)", sentence)  # %p: a difference
        vals = [number(c) for c in cited]
        if sentence.startswith(("합계는", "The total")):
            places = len(first.group(1).partition(".")[2])
            assert number(first.group(1)) == pytest.approx(round(sum(vals), places)), r["id"]
        elif len(vals) == 2 and re.search(r"증가|감소|rose|fell", sentence):
            a, b = vals
            if first.group(2) == "%":
                assert number(first.group(1)) == pytest.approx(abs(round((b - a) / a * 100, 1)))
            else:
                assert number(first.group(1)) == pytest.approx(abs(b - a), abs=1e-6), r["id"]
        else:
            continue
        checked += 1
    assert checked >= 5


def test_mcq_letters_index_the_correct_distinct_choices(built, docs) -> None:
    out, _ = built
    made = 0
    for doc in docs:
        for part in ("document", "table", "chart"):
            r = doc.parts[part]
            for qa in questions_for(r, random.Random(5)):
                m = make_mcq(qa, r, random.Random(6))
                if m is None:
                    continue
                made += 1
                assert len(set(m.choices)) == 4 and m.choices[LETTERS.index(m.answer)] == qa.short
    assert made > 20
    convs = [r for r in records(out, "instruct.jsonl") if r["task"] == "mcq"]
    assert {r["category"] for r in convs} == {"document", "table", "chart"}
    for r in convs:
        prompt, answer = (t["value"] for t in r["conversations"])
        options = re.findall(r"^([ABCD])\. (.+)$", prompt, re.M)
        assert [o[0] for o in options] == list(LETTERS) and len({o[1] for o in options}) == 4
        assert answer in LETTERS
    for i in (eval_item_from_json(o) for o in records(out, "eval.jsonl")):
        if i.task == "mcq":
            assert len(set(i.choices)) == 4 and i.answer in LETTERS


def test_every_rejection_kind_and_what_it_breaks(built) -> None:
    out, _ = built
    prefs = records(out, "preference.jsonl")
    assert {p["rejection"] for p in prefs} == set(REJECTIONS)
    claims = {c for cs in CLAIMS.values() for c in cs}
    for p in prefs:
        chosen, rejected, prompt = p["chosen"], p["rejected"], p["prompt"][-1]["value"]
        assert parse_output(chosen).boxes and chosen != rejected
        match p["rejection"]:
            case "format":
                assert "<char>" not in rejected and "<bbox>" not in rejected
                assert "<ocr>" in prompt or "<gro>" in prompt
            case "dropped_box":
                assert "<bbox>" not in rejected and not parse_output(rejected).boxes
            case "wrong_number":
                nums = lambda s: re.findall(r"\d[\d,.]*", s.split("<")[0])  # noqa: E731
                assert nums(chosen) != nums(rejected)
            case "unsupported_claim":
                assert any(c in rejected for c in claims) and parse_output(rejected).boxes


# -- charts and scans --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_matplotlib_chart_truth(kind: str) -> None:
    content = sample_content(TOPICS["company_annual"], random.Random(kind), kind)
    chart = draw_chart(content.chart, "barun", random.Random(0))
    img = np.asarray(chart.image.convert("L"), dtype=np.float32)
    h, w = img.shape
    norm = lambda b: Box(b.x0 / w, b.y0 / h, b.x1 / w, b.y1 / h, Space.NORM)  # noqa: E731
    truth = chart.layout.chart
    assert truth.kind == kind and truth.engine == "matplotlib"
    printed = [(s.name, c, t) for s in content.chart.series
               for c, t in zip(content.chart.categories, s.texts, strict=True)]
    assert sorted((p.series, p.category, p.text) for p in truth.points) == sorted(printed)
    for p in truth.points:
        assert ink(img, norm(p.label)) > 0.03, p
        assert 0 <= p.mark.x0 < p.mark.x1 <= w + 1 and 0 <= p.mark.y0 < p.mark.y1 <= h + 1
    words = " ".join(t.text for t in chart.layout.words)
    assert all(p.text in words for p in truth.points) and content.chart.title.split()[0] in words


def test_scan_rotation_moves_the_boxes() -> None:
    img = Image.new("RGB", (600, 400), "white")
    draw = ImageDraw.Draw(img)
    squares = [(40, 30), (520, 40), (300, 200), (60, 340), (530, 350)]
    for x, y in squares:
        draw.rectangle((x, y, x + 24, y + 14), fill="black")
    seed = next(s for s in range(100) if abs(degrade(img, random.Random(s)).params["angle"]) > 1.2)
    scan = degrade(img, random.Random(seed))
    arr = np.asarray(scan.image.convert("L"), dtype=np.float32)
    for x, y in squares:
        box = Box(x / 600, y / 400, (x + 25) / 600, (y + 15) / 400, Space.NORM)
        moved = scan.move(box)
        assert moved == rotate_box(box, scan.params["angle"], (600, 400))
        inside = arr[int(moved.y0 * 400):int(np.ceil(moved.y1 * 400)),
                     int(moved.x0 * 600):int(np.ceil(moved.x1 * 600))]
        assert (inside < 128).sum() >= 0.85 * 24 * 14  # the square's ink is inside the box
    assert scan.data[:2] == b"\xff\xd8"


def test_scanned_word_boxes_follow_the_ink(docs) -> None:
    """A degraded crop's moved boxes cover more ink than the boxes left where they were."""
    doc = next(d for d in docs if not d.meta.scanned)
    part = doc.parts["document"]
    seed = next(s for s in range(100) if abs(degrade(part.image, random.Random(s)).params["angle"])
                > 1.2)
    scan = degrade(part.image, random.Random(seed))
    arr = np.asarray(scan.image.convert("L"), dtype=np.float32)
    far = [w for w in part.layout.words if w.box.x0 > 0.6]  # where rotation moves text most
    moved = [ink(arr, scan.move(w.box)) for w in far]
    still = [ink(arr, w.box) for w in far]
    assert min(moved) > 0.01 and np.mean(moved) > np.mean(still)


def test_cli_writes_the_set_and_prints_the_manifest(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from docagent.cli.synth import synth

    app = typer.Typer()
    app.command()(synth)
    out = tmp_path / "cli"
    (out / "images").mkdir(parents=True)
    (out / "images" / "old.png").write_bytes(b"stale")  # from an earlier run: removed
    run = CliRunner().invoke(app, ["--out", str(out), "--documents", "1", "--seed", "2",
                                   "--json"])
    assert run.exit_code == 0, run.output
    manifest = json.loads(run.output)
    assert manifest["n_documents"] == 1 and manifest["seed"] == 2
    assert manifest == json.loads((out / "manifest.json").read_text())
    assert not (out / "images" / "old.png").exists()
    assert len(list((out / "images").iterdir())) == manifest["images"] == 4 * (1 + 2)
