"""OCR accuracy and Tesseract CPU time: one ``kor+eng`` pass, one ``kor`` pass, and two passes,
each through the ``tesseract`` program; then the two passes (the default) in this process
through libtesseract's C API (``indexing.tesseract``), the engine ingest uses where the
library loads.

Every page of the four real Korean PDFs is rendered in gray at ``--dpi`` and read by each
method; the page's own text layer is the reference (pages whose text layer is empty are
skipped). Scores ignore reading order: F1 of whitespace tokens and of character bigrams
(whitespace removed), both as multisets, and the recall of the reference tokens that hold an
ASCII letter (Latin) and of those that hold a Hangul syllable, summed over pages. CPU is the
user + system time of the Tesseract child processes (``RUSAGE_CHILDREN``), not wall time,
because the machine is shared; for the in-process engine it is this process's own CPU time
(with the Python around the calls, which the program rows do not count).

    .venv/bin/python -m bench.ocr_accuracy [--dpi 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import unicodedata
from collections import Counter

from bench.common import SHARED_DATA, machine, table, write_json
from bench.ingest_throughput import PDFS

# (label, languages, single pass, Tesseract engine); the first is the baseline
METHODS = [("kor+eng, one pass", "kor+eng", True, "program"),
           ("kor, one pass", "kor", True, "program"),
           ("kor, then eng (two passes)", "kor+eng", False, "program"),
           ("two passes, in process", "kor+eng", False, "library")]
LATIN = re.compile(r"[A-Za-z]")
HANGUL = re.compile("[\uac00-\ud7a3]")


def tokens(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def bigrams(text: str) -> Counter:
    s = "".join(tokens(text))
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


def page_counts(hyp: str, ref: str) -> dict[str, list[int]]:
    """Per measure: [matched, hypothesis size, reference size] on one page."""
    h, r = Counter(tokens(hyp)), Counter(tokens(ref))
    out = {"tokens": _match(h, r), "bigrams": _match(bigrams(hyp), bigrams(ref))}
    out["latin"] = _match(h, Counter({t: n for t, n in r.items() if LATIN.search(t)}))
    out["hangul"] = _match(h, Counter({t: n for t, n in r.items() if HANGUL.search(t)}))
    return out


def _match(hyp: Counter, ref: Counter) -> list[int]:
    return [sum((hyp & ref).values()), sum(hyp.values()), sum(ref.values())]


def f1(matched: int, hyp: int, ref: int) -> float:
    return 2 * matched / (hyp + ref) if hyp + ref else 0.0


def read_page(image, dpi: float, languages: str, single_pass: bool, engine: str) -> tuple[str, float]:
    """(text, Tesseract CPU seconds) of one method on one page."""
    from indexing.ocr import ocr_image
    from indexing.tesseract import engine_in_use

    who = resource.RUSAGE_SELF if engine == "library" else resource.RUSAGE_CHILDREN
    before = resource.getrusage(who)
    with engine_in_use(engine):
        text = ocr_image(image, dpi, languages=languages, single_pass=single_pass).text
    after = resource.getrusage(who)
    return text, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pages(dpi: int):
    """(document, gray render, dpi, text layer) of every page with text."""
    import pymupdf

    from indexing.render import render_page

    for name in PDFS:
        for page in pymupdf.open(SHARED_DATA / "real-ko-pdfs" / name):
            ref = page.get_text()
            if ref.strip():
                image, used = render_page(page, dpi, gray=True)
                yield name, image, used, ref


def run(dpi: int) -> dict:
    cpu = {m[0]: 0.0 for m in METHODS}
    counts: dict[str, dict[str, list[int]]] = {m[0]: {} for m in METHODS}
    per_doc: dict[str, dict[str, float]] = {}
    n = 0
    for name, image, used, ref in pages(dpi):
        n += 1
        doc = per_doc.setdefault(name, dict.fromkeys(cpu, 0.0))
        for label, languages, single, engine in METHODS:
            text, seconds = read_page(image, used, languages, single, engine)
            cpu[label] += seconds
            doc[label] += seconds
            for key, vals in page_counts(text, ref).items():
                acc = counts[label].setdefault(key, [0, 0, 0])
                acc[:] = [a + v for a, v in zip(acc, vals, strict=True)]
    return {"machine": machine(), "dpi": dpi, "pages": n,
            "methods": {label: _summary(cpu[label], counts[label]) for label in cpu},
            "cpu_s_by_document": {d: {k: round(v, 1) for k, v in m.items()} for d, m in per_doc.items()}}


def _summary(cpu: float, c: dict[str, list[int]]) -> dict:
    return {"tesseract_cpu_s": round(cpu, 1),
            "token_f1": round(f1(*c["tokens"]), 4), "bigram_f1": round(f1(*c["bigrams"]), 4),
            "latin_recall": round(c["latin"][0] / c["latin"][2], 4),
            "hangul_recall": round(c["hangul"][0] / c["hangul"][2], 4),
            "latin_tokens": c["latin"][2], "hangul_tokens": c["hangul"][2]}


def report(out: dict) -> str:
    methods = out["methods"]
    base = methods[METHODS[0][0]]
    keys = ["tesseract_cpu_s", "token_f1", "bigram_f1", "latin_recall", "hangul_recall"]
    rows = [[label, *(m[k] for k in keys)] for label, m in methods.items()]
    two, inproc = methods[METHODS[2][0]], methods[METHODS[3][0]]
    for label, new, old in (("two passes / kor+eng", two, base),
                            ("in process / two passes, program", inproc, two)):
        rows.append([label, *(f"{new[k] / old[k]:.2f}x" if old[k] else "-" for k in keys)])
    head = ["method", "Tesseract CPU s", "token F1", "bigram F1", "Latin-token recall", "Hangul-token recall"]
    return table(head, rows)


def main() -> None:
    # both engines on one OpenMP thread, as ingest's page workers run them (the in-process
    # engine needs it set before the runtime loads; the program gets it per call anyway)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, default=200, help="render resolution (gray)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (SHARED_DATA / "real-ko-pdfs").exists():
        sys.exit(f"needs {SHARED_DATA}/real-ko-pdfs")
    out = run(args.dpi)
    write_json("ocr_accuracy", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"OCR on {out['machine']}: {out['pages']} pages with a text layer, {args.dpi} dpi gray")
    print(report(out))


if __name__ == "__main__":
    main()
