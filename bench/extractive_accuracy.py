"""Accuracy of the ``extractive`` backend, against trivial baselines measured in the same run.

Sets (the same backend, same settings, for all of them):

- ``korquad``: KorQuAD 1.0 dev questions (part a), the gold paragraph given as the crop's
  text. Articles 0-19 were read while the paragraph rules were written; they are reported
  apart (``korquad-dev``) from articles 20-69 (``korquad-heldout``), which were not used to
  write or weigh the rules beyond reading a few dozen of their wrong answers.
- ``korquad-other-paragraph``: KorQuAD questions shown another paragraph of the same article,
  one without the answer; the right response is to refuse.
- ``tables-synthetic``: generated Korean tables with distractors (see
  ``vlm.synth.table_cases``), including questions no table answers.
- ``tables-real``: the performance table of a real fund report read with PyMuPDF
  ``find_tables`` and its words; questions name a row and a column of the table and the gold
  answer is that cell's text, so this measures lookup on a real layout, not reading.

Scores: exact match and character-level F1 after normalisation (NFKC, lower case, no spaces or
punctuation), averaged over questions; a refusal scores 0. Baselines never refuse:
``overlap-unit`` answers with the sentence (or table row) sharing the most characters with the
question, ``overlap-number`` with the first number in that unit.

    .venv/bin/python -m bench.extractive_accuracy            # 1000 sampled questions
    .venv/bin/python -m bench.extractive_accuracy --all --json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import SHARED_DATA, machine
from indexing.geometry import Box, CropFrame, Space
from indexing.model import Table, TableCell, Word
from vlm.backends.base import CropInput, VisionRequest
from vlm.backends.extractive import ExtractiveBackend, crop_text
from vlm.extractive.matching import overlap_chars
from vlm.extractive.morph import split_sentences
from vlm.extractive.numbers import find_quantities
from vlm.synth.table_cases import make_cases

DEV_ARTICLES = 20


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not ch.isspace()
                   and not unicodedata.category(ch).startswith(("P", "S")))


def exact(pred: str, gold: str) -> float:
    return float(normalise(pred) == normalise(gold))


def char_f1(pred: str, gold: str) -> float:
    p, g = normalise(pred), normalise(gold)
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


# -- cases --------------------------------------------------------------------------------

def korquad_cases(path: Path, sample: int | None, seed: int) -> tuple[list[dict], list[dict]]:
    """(answerable cases, unrelated-paragraph cases), a fixed-seed sample of each."""
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    cases = []
    for ai, art in enumerate(articles):
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                gold = qa["answers"][0]
                cases.append({"set": "korquad-dev" if ai < DEV_ARTICLES else "korquad-heldout",
                              "question": qa["question"], "crops": [CropInput(text=para["context"])],
                              "gold": [a["text"] for a in qa["answers"]], "article": ai,
                              "gold_start": gold["answer_start"], "crop_index": 0})
    rng = random.Random(seed)
    chosen = cases if sample is None else rng.sample(cases, min(sample, len(cases)))
    n_unrelated = len(chosen) if sample is None else max(sample // 3, 1)
    # A paragraph of the same article that does not contain the answer: it shares the
    # article's names and topic, so refusing takes more than noticing a change of subject.
    unrelated = []
    for c in rng.sample(chosen, min(n_unrelated, len(chosen))):
        paras = [p for p in articles[c["article"]]["paragraphs"]
                 if not any(g in p["context"] for g in c["gold"])]
        if not paras:
            continue
        para = paras[rng.randrange(len(paras))]
        unrelated.append({"set": "korquad-other-paragraph", "question": c["question"],
                          "crops": [CropInput(text=para["context"])], "gold": None})
    return sorted(chosen, key=lambda c: c["set"]), unrelated


def synthetic_table_cases(n: int, seed: int) -> list[dict]:
    return [{"set": "tables-synthetic", "question": c.question, "crops": c.crops,
             "gold": None if c.answer is None else [c.answer], "crop_index": c.crop_index,
             "gold_box": c.cell_box} for c in make_cases(n, seed)]


def real_table_cases(pdf: Path) -> list[dict]:
    """Cells of the fund report's tables, read as an indexing pipeline would: cell boxes from
    ``find_tables``, cell text from the words whose centres fall in each cell."""
    import pymupdf

    cases = []
    with pymupdf.open(pdf) as doc:
        for page in doc:
            words = [Word(w[4], Box(*w[:4], Space.PAGE)) for w in page.get_text("words")]
            for t in page.find_tables().tables:
                crop, grid, head = _real_crop(t, words)
                for r in range(head, len(grid)):
                    for c in range(1, len(grid[r])):
                        row, col = grid[r][0], grid[head - 1][c]
                        if row and col and grid[r][c]:
                            cell = next(x for x in crop.table.cells if (x.row, x.col) == (r, c))
                            cases.append({"set": "tables-real", "question": f"{row}의 {col} 수익률은?",
                                          "crops": [crop], "gold": [grid[r][c]], "crop_index": 0,
                                          "gold_box": cell.box})
    return cases


def _centre_in(w: Word, b: Box, pad: float = 0.0) -> bool:
    cx, cy = (w.box.x0 + w.box.x1) / 2, (w.box.y0 + w.box.y1) / 2
    return b.x0 - pad <= cx <= b.x1 + pad and b.y0 - pad <= cy <= b.y1 + pad


def _real_crop(t, words: list[Word]) -> tuple[CropInput, list[list[str]], int]:
    tb = Box(*t.bbox, Space.PAGE)
    inside = [w for w in words if _centre_in(w, tb, 1.0)]
    cells = []
    for r, row in enumerate(t.rows):
        for c, cb in enumerate(row.cells):
            if cb is not None:
                b = Box(*cb, Space.PAGE)
                cells.append(TableCell(r, c, " ".join(w.text for w in inside if _centre_in(w, b)), b))
    table = Table(cells, t.row_count, t.col_count, 1)
    grid = table.grid()
    head = next(r for r, row in enumerate(grid) if sum(bool(x) for x in row) > 1) + 1
    frame = CropFrame(tb, (int(tb.width * 2), int(tb.height * 2)))
    return CropInput(text=table.to_markdown(), words=inside, table=table, frame=frame,
                     kind="table"), grid, head


# -- baselines ----------------------------------------------------------------------------

def baseline(question: str, crops: list[CropInput]) -> dict[str, tuple[str, int]]:
    units = []
    for i, crop in enumerate(crops):
        if crop.table is not None:
            units += [(" | ".join(row), i) for row in crop.table.grid()]
        else:
            units += [(s.text, i) for s in split_sentences(crop_text(crop))]
    if not units:
        return {"overlap-unit": ("", 0), "overlap-number": ("", 0)}
    unit, i = max(units, key=lambda u: overlap_chars(question, u[0]))
    qty = find_quantities(unit)
    return {"overlap-unit": (unit, i),
            "overlap-number": (qty[0].surface if qty else unit.split()[0], i)}


# -- running ------------------------------------------------------------------------------

def run(cases: list[dict], backend: ExtractiveBackend) -> list[dict]:
    for case in cases:
        req = VisionRequest(case["question"], case["crops"])
        ans = backend.answer([req])[0]
        case["pred"] = ans.text if ans.answerable else ""
        case["answered"] = ans.answerable
        case["raw"] = ans.raw
        case["pred_crop"] = ans.evidence[0].crop_index if ans.evidence else -1
        boxes = ans.page_boxes(req)
        case["pred_box"] = boxes[0][1] if boxes else None
        case["baselines"] = baseline(case["question"], case["crops"])
    return cases


def _score(case: dict, pred: str) -> tuple[float, float]:
    gold = case["gold"] or [""]
    return max(exact(pred, g) for g in gold), max(char_f1(pred, g) for g in gold)


def categorise(case: dict) -> str | None:
    """Why an answer is wrong (None when it is right)."""
    if case["gold"] is None:
        return "answered an unanswerable question" if case["answered"] else None
    em, f1 = _score(case, case["pred"])
    if em == 1.0:
        return None
    if not case["answered"]:
        return "refused an answerable question"
    if case["pred_crop"] != case.get("crop_index", 0):
        return "wrong crop"
    if "gold_start" in case:
        text = case["crops"][0].text
        sent = next((s for s in split_sentences(text) if s.start <= case["gold_start"] < s.end), None)
        if sent is not None and case["pred"] not in sent.text:
            return "wrong sentence"
        return "right sentence, span boundary" if f1 > 0 else "right sentence, wrong span"
    return "wrong cell"


def summarise(cases: list[dict]) -> dict:
    out: dict = {"n": len(cases)}
    answerable = cases[0]["gold"] is not None if cases else True
    out["refused"] = sum(not c["answered"] for c in cases) / max(len(cases), 1)
    if answerable:
        scores = [_score(c, c["pred"]) for c in cases]
        out["em"] = sum(s[0] for s in scores) / len(cases)
        out["f1"] = sum(s[1] for s in scores) / len(cases)
        for name in ("overlap-unit", "overlap-number"):
            bs = [_score(c, c["baselines"][name][0]) for c in cases]
            out[f"baseline_{name}_em"] = sum(b[0] for b in bs) / len(cases)
            out[f"baseline_{name}_f1"] = sum(b[1] for b in bs) / len(cases)
        best = max(out["baseline_overlap-unit_f1"], out["baseline_overlap-number_f1"])
        out["f1_ratio_vs_best_baseline"] = out["f1"] / best if best > 0 else None
        with_box = [c for c in cases if c.get("gold_box") is not None and c["answered"]]
        if with_box:
            out["box_centre_in_gold_cell"] = sum(_centre_hit(c) for c in with_box) / len(with_box)
    cats = Counter(cat for c in cases if (cat := categorise(c)) is not None)
    out["errors"] = dict(cats.most_common())
    return out


def _centre_hit(case: dict) -> bool:
    b, g = case["pred_box"], case["gold_box"]
    if b is None:
        return False
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    return g.x0 <= cx <= g.x1 and g.y0 <= cy <= g.y1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    ap.add_argument("--sample", type=int, default=1000, help="KorQuAD questions to sample")
    ap.add_argument("--all", action="store_true", help="all KorQuAD questions")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--tables", type=int, default=120, help="synthetic table questions")
    ap.add_argument("--show", type=int, default=3, help="wrong answers shown per category")
    ap.add_argument("--min-coverage", type=float, default=None)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    opts = {} if args.min_coverage is None else {"min_coverage": args.min_coverage}
    backend = ExtractiveBackend(**opts)
    answerable, unrelated = korquad_cases(args.data / "korquad-v1-dev-part-a.json",
                                          None if args.all else args.sample, args.seed)
    cases = answerable + unrelated + synthetic_table_cases(args.tables, args.seed)
    pdf = args.data / "real-ko-pdfs" / "fund-report-kb-202309.pdf"
    if pdf.exists():
        cases += real_table_cases(pdf)
    run(cases, backend)
    sets: dict[str, list[dict]] = defaultdict(list)
    for c in cases:
        key = c["set"] if not (c["set"] == "tables-synthetic" and c["gold"] is None) \
            else "tables-synthetic-unanswerable"
        sets[key].append(c)
        if c["set"].startswith("korquad-") and c["gold"] is not None:
            sets["korquad"].append(c)
    report = {"backend": {"name": backend.name, "min_coverage": backend.min_coverage},
              "command": " ".join(["python -m bench.extractive_accuracy", *(argv or sys.argv[1:])]),
              "machine": machine(), "seed": args.seed,
              "seconds": round(time.perf_counter() - t0, 1),
              "sets": {name: summarise(cs) for name, cs in sorted(sets.items())},
              "wrong_samples": _samples(sets, args.show)}
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        _print(report)
    return 0


def _samples(sets: dict[str, list[dict]], k: int) -> dict:
    out: dict = {}
    for name, cs in sets.items():
        if name == "korquad":
            continue
        by_cat: dict[str, list[dict]] = defaultdict(list)
        for c in cs:
            cat = categorise(c)
            if cat is not None and len(by_cat[cat]) < k:
                by_cat[cat].append({"question": c["question"], "gold": (c["gold"] or [None])[0],
                                    "pred": c["pred"], "raw": c["raw"]})
        out[name] = dict(by_cat)
    return out


def _print(report: dict) -> None:
    print(f"{report['command']}\nextractive backend (min_coverage="
          f"{report['backend']['min_coverage']}), seed {report['seed']}, {report['seconds']} s "
          f"on {report['machine']}")
    print(f"{'set':32s} {'n':>5s} {'EM':>6s} {'F1':>6s} {'refused':>8s} "
          f"{'base EM':>8s} {'base F1':>8s} {'F1 ratio':>8s}")
    for name, s in report["sets"].items():
        if "em" in s:
            bem = max(s["baseline_overlap-unit_em"], s["baseline_overlap-number_em"])
            bf1 = max(s["baseline_overlap-unit_f1"], s["baseline_overlap-number_f1"])
            ratio = s["f1_ratio_vs_best_baseline"]
            print(f"{name:32s} {s['n']:5d} {s['em']:6.3f} {s['f1']:6.3f} {s['refused']:8.3f} "
                  f"{bem:8.3f} {bf1:8.3f} {ratio if ratio is None else f'{ratio:8.2f}'}")
        else:
            print(f"{name:32s} {s['n']:5d} {'-':>6s} {'-':>6s} {s['refused']:8.3f}  "
                  "(unanswerable: refusing is right)")
    print("\nbaselines (best shown above): overlap-unit / overlap-number")
    for name, s in report["sets"].items():
        if "em" in s:
            extra = (f"  box centre in gold cell {s['box_centre_in_gold_cell']:.3f}"
                     if "box_centre_in_gold_cell" in s else "")
            print(f"  {name:30s} EM {s['baseline_overlap-unit_em']:.3f}/"
                  f"{s['baseline_overlap-number_em']:.3f}  F1 {s['baseline_overlap-unit_f1']:.3f}/"
                  f"{s['baseline_overlap-number_f1']:.3f}{extra}")
    print("\nerrors by category")
    for name, s in report["sets"].items():
        print(f"  {name}: {s['errors']}")
    print("\nsample wrong answers")
    for name, cats in report["wrong_samples"].items():
        for cat, items in cats.items():
            for it in items:
                print(f"  [{name} | {cat}] {it['question']}  gold={it['gold']!r} "
                      f"pred={it['pred']!r}  ({it['raw']})")


if __name__ == "__main__":
    raise SystemExit(main())
