"""The agent end to end (retrieval included): answer accuracy per question kind, cited page and
box, refusals, latency; the baseline in the same run is the top search hit's text as the answer.

Sets: template collections (development, held-out and unseen templates, text layer and scanned
copies) with their own questions (``vlm.synth.collections``) and the agent's further kinds
(``vlm.synth.agent_questions``); KorQuAD articles rendered to PDF (``../shared/data``).
Each set is ingested into a fresh home and asked in-process (``docagent.ask.ask``); a sample
of questions is asked again through ``docagent ask --json`` in fresh processes (warm server).

    .venv/bin/python -m bench.ask_accuracy [--quick] [--no-scans] [--only "held-out/scan" ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.common import REPO, fresh_settings, machine, table, write_json
from bench.retrieval import ingest, korquad_set, scanned

N_DOCS = 8
CLI_SAMPLE = 10


@dataclass
class Item:
    text: str
    kind: str
    answer: str  # "" for unanswerable
    filename: str = ""
    pages: tuple[int, ...] = ()
    boxes: list = field(default_factory=list)  # [(page, Box)]
    unit: str = ""


def _numbers(text: str) -> list[str]:
    return [n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def correct(item: Item, answer: dict) -> bool:
    if not answer["answerable"]:
        return False
    got = answer["answer"]
    gold = item.answer
    if item.kind == "korquad":  # the gold span, give or take a particle or a title word
        g, a = _norm(gold), _norm(got)
        return bool(g) and g in a and len(a) <= 2 * len(g) + 2
    if re.fullmatch(r"[\d,.]+", gold):
        nums = _numbers(got)
        return bool(nums) and nums[0] == gold.replace(",", "")
    if gold in ("예", "아니요"):
        return got.startswith(gold)
    return _norm(gold) in _norm(got.split("(")[0])


def _norm(text: str) -> str:
    return re.sub(r"[\s,.'\"“”‘’·()]", "", text)


def f1(gold: str, got: str) -> float:
    g, p = list(_norm(gold)), list(_norm(got))
    if not g or not p:
        return 0.0
    common = sum(min(g.count(c), p.count(c)) for c in set(g))
    if common == 0:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


def cited_page(item: Item, answer: dict) -> bool:
    want = {(item.filename, p) for p in item.pages}
    return any((os.path.basename(c["filename"]), c["page"]) in want for c in answer["citations"])


def cited_box(item: Item, answer: dict) -> bool:
    """Every gold box holds the centre of a cited box on its page."""
    if not item.boxes:
        return cited_page(item, answer)
    for page, box in item.boxes:
        hit = False
        for c in answer["citations"]:
            x0, y0, x1, y1 = c["bbox"]
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if c["page"] == page and box.x0 - 1 <= cx <= box.x1 + 1 and box.y0 - 1 <= cy <= box.y1 + 1:
                hit = True
        if not hit:
            return False
    return True


def template_items(names: list[str]) -> dict[str, tuple[list, list[Item]]]:
    from vlm.synth.agent_questions import agent_questions
    from vlm.synth.collections import template_collection

    out = {}
    for name in names:
        coll = template_collection(name, n_documents=N_DOCS, seed=7)
        qs = coll.questions + agent_questions(coll, per_kind=3, seed=7)
        items = [Item(q.text, q.kind, q.answer, q.filename, q.pages, [(b.page, b.box) for b in q.boxes], q.unit)
                 for q in qs]
        out[name] = ([(d.filename, d.pdf) for d in coll.documents], items)
    return out


def korquad_items(n_articles: int) -> tuple[list, list[Item]]:
    files, questions = korquad_set(n_articles)
    return files, [Item(q.text, "korquad", q.answer, q.filename, tuple(sorted(q.pages))) for q in questions]


def run_set(files: list, items: list[Item]) -> dict:
    from docagent.ask import ask
    from docagent.search import search

    with fresh_settings() as settings:
        ingest_s = ingest(settings, files)
        rows = []
        for item in items:
            t0 = time.perf_counter()
            answer, steps = ask(settings, "default", "bench", item.text)
            elapsed = time.perf_counter() - t0
            a = answer.to_json()
            top = search(settings, "default", "bench", item.text, k=1)
            base = {"answerable": bool(top), "answer": top[0].text if top else "", "citations": []}
            rows.append({"kind": item.kind, "question": item.text, "gold": item.answer, "got": a["answer"],
                         "answerable": a["answerable"], "correct": correct(item, a) if item.answer else False,
                         "f1": f1(item.answer, a["answer"]) if a["answerable"] and item.kind == "korquad" else 0.0,
                         "page": cited_page(item, a) if item.answer else False,
                         "box": cited_box(item, a) if item.answer else False,
                         "baseline": _baseline_correct(item, base),
                         "baseline_f1": f1(item.answer, base["answer"]) if item.kind == "korquad" else 0.0,
                         "seconds": elapsed,
                         "steps": len(steps)})
        cli = cli_latency(settings, items[:CLI_SAMPLE])
    return {"ingest_s": ingest_s, "rows": rows, "cli": cli}


def _baseline_correct(item: Item, base: dict) -> bool:
    """The top hit's text, scored as the agent's answer is (its first number, or the span)."""
    return bool(item.answer) and correct(item, base)


def cli_latency(settings, items: list[Item]) -> dict:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DOCAGENT_HOME": str(settings.home), "DOCAGENT_WARM_IDLE_S": "5"}
    exe = str(REPO / ".venv" / "bin" / "docagent")
    times = []
    for i, item in enumerate(items):
        t0 = time.perf_counter()
        out = subprocess.run([exe, "ask", "--collection", "bench", "--json", item.text], env=env,
                             capture_output=True, text=True, timeout=120)
        dt = time.perf_counter() - t0
        if out.returncode != 0 or "answerable" not in json.loads(out.stdout or "{}"):
            raise RuntimeError(f"docagent ask failed: {out.stderr[-500:]}")
        if i:  # the first call starts the warm process
            times.append(dt)
        else:
            first = dt
    return {"first_s": first, "warm_p50_s": statistics.median(times) if times else None,
            "warm_p95_s": _p95(times)}


def _p95(xs: list[float]) -> float | None:
    return sorted(xs)[min(len(xs) - 1, int(0.95 * len(xs)))] if xs else None


def summarise(rows: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    kinds = sorted({r["kind"] for r in rows})
    for kind in [*kinds, "all"]:
        rs = [r for r in rows if kind == "all" or r["kind"] == kind]
        answerable = [r for r in rs if r["kind"] != "unanswerable"]
        unans = [r for r in rs if r["kind"] == "unanswerable"]
        refused = [r for r in rs if not r["answerable"]]
        secs = [r["seconds"] for r in rs]
        out[kind] = {
            "n": len(rs),
            "accuracy": _mean([r["correct"] for r in answerable]),
            "f1": _mean([r["f1"] for r in answerable]) if kind == "korquad" else None,
            "baseline_f1": _mean([r["baseline_f1"] for r in answerable]) if kind == "korquad" else None,
            "page": _mean([r["page"] for r in answerable]),
            "box": _mean([r["box"] for r in answerable]),
            "baseline": _mean([r["baseline"] for r in answerable]),
            "refusal_precision": (sum(r["kind"] == "unanswerable" for r in refused) / len(refused)) if refused else None,
            "refusal_recall": (sum(not r["answerable"] for r in unans) / len(unans)) if unans else None,
            "p50_s": statistics.median(secs) if secs else None, "p95_s": _p95(secs),
        }
    return out


def _mean(xs: list) -> float | None:
    return sum(xs) / len(xs) if xs else None


def main() -> None:
    from vlm.synth.collections import DEVELOPMENT_TEMPLATES, HELD_OUT_TEMPLATES, UNSEEN_TEMPLATES

    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="fewer templates and KorQuAD articles")
    p.add_argument("--no-scans", action="store_true")
    p.add_argument("--only", action="append", default=[], metavar="TEXT",
                   help="only the sets whose name (held-out/scan/msds, korquad/text) contains TEXT")
    args = p.parse_args()
    def wants(name: str) -> bool:
        return not args.only or any(text in name for text in args.only)

    dev = list(DEVELOPMENT_TEMPLATES)[: 1 if args.quick else None]
    held = list(HELD_OUT_TEMPLATES)[: 1 if args.quick else None]
    sets: dict[str, tuple[list, list[Item]]] = {}
    for split, names in (("development", dev), ("held-out", held), ("unseen", list(UNSEEN_TEMPLATES))):
        names = [n for n in names if wants(f"{split}/text/{n}") or wants(f"{split}/scan/{n}")]
        for name, (files, items) in template_items(names).items():
            if wants(f"{split}/text/{name}"):
                sets[f"{split}/text/{name}"] = (files, items)
            if not args.no_scans and wants(f"{split}/scan/{name}"):
                sets[f"{split}/scan/{name}"] = (scanned(files), items)
    if wants("korquad/text"):
        sets["korquad/text"] = korquad_items(5 if args.quick else 20)
    if not sets:
        raise SystemExit(f"--only {args.only}: no set matches")
    results = {}
    for name, (files, items) in sets.items():
        t0 = time.perf_counter()
        results[name] = run_set(files, items)
        print(f"{name}: {len(items)} questions in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    groups: dict[str, list[dict]] = {}
    for name, res in results.items():
        split, layer, _ = (name.split("/") + [""])[:3]
        groups.setdefault(f"{split} {layer}".strip(), []).extend(res["rows"])
    summary = {g: summarise(rows) for g, rows in groups.items()}
    payload = {"machine": machine(), "summary": summary, "sets": results}
    write_json("ask_accuracy", payload)
    print(report(summary, results))


def _f(x) -> str:  # type: ignore[no-untyped-def]
    return "-" if x is None else f"{x:.3f}"


def report(summary: dict, results: dict) -> str:
    lines = []
    for group, kinds in summary.items():
        lines.append(f"\n### {group}\n")
        rows = [[k, v["n"], _f(v["accuracy"]), _f(v["baseline"]),
                 _f(v["accuracy"] / v["baseline"]) if v["accuracy"] is not None and v["baseline"] else "-",
                 _f(v["page"]), _f(v["box"]), _f(v["refusal_precision"]), _f(v["refusal_recall"]),
                 _f(v["f1"]), _f(v["baseline_f1"]), _f(v["p50_s"]), _f(v["p95_s"])] for k, v in kinds.items()]
        lines.append(table(["kind", "n", "accuracy", "baseline", "ratio", "cited page", "cited box",
                            "refusal P", "refusal R", "F1", "baseline F1", "p50 s", "p95 s"], rows))
    lines.append("\n### docagent ask --json from fresh processes\n")
    lines.append(table(["set", "first call s", "warm p50 s", "warm p95 s"],
                       [[n, _f(r["cli"]["first_s"]), _f(r["cli"]["warm_p50_s"]), _f(r["cli"]["warm_p95_s"])]
                        for n, r in results.items()]))
    fails = [(n, r) for n, res in results.items() for r in res["rows"]
             if (r["kind"] != "unanswerable" and not r["correct"]) or (r["kind"] == "unanswerable" and r["answerable"])]
    lines.append(f"\n### what still fails ({len(fails)}; first 25)\n")
    lines += [f"- {n} [{r['kind']}] {r['question']} | gold {r['gold']!r} | got {r['got'][:80]!r}" for n, r in fails[:25]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
