"""The evidence threshold end to end: answers on KorQuAD against guesses where the collection
has no answer.

The reader answers a paragraph when its fitted evidence score passes a threshold
(``vlm.extractive.evidence.ANSWER_THRESHOLD``). Lower, more questions are answered; also more
questions that the collection cannot answer get a guess. Both sides are measured through
``docagent.ask.ask`` (retrieval, reading, verify, synthesis) at each threshold:

- answerable: the questions of KorQuAD articles 20-69 (the development articles) asked of a
  collection of those articles: EM, F1 and refusals, scored as ``bench.ask_accuracy`` does;
- out of collection: the same questions asked of a collection of articles 0-19, which holds
  none of their answers: the share refused (every answer there is a guess);
- with ``--eval``, the questions of articles 0-19 both ways too (what ``bench.ask_accuracy``
  reports; not used to choose).

    .venv/bin/python -m bench.evidence_threshold [--thresholds 0.556,0.45,0.35] [--eval]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.ask_accuracy import Item, correct, f1, korquad_items
from bench.common import fresh_settings, machine, table, write_json
from bench.retrieval import ingest

DEV_FROM = 20  # articles before this are the evaluation set of bench.ask_accuracy


def asked(settings, items: list[Item]) -> dict:  # type: ignore[no-untyped-def]
    from docagent.ask import ask

    em = f1_sum = refused = 0.0
    for item in items:
        a = ask(settings, "default", "bench", item.text)[0].to_json()
        refused += not a["answerable"]
        em += correct(item, a)
        f1_sum += f1(item.answer, a["answer"]) if a["answerable"] else 0.0
    n = len(items)
    return {"n": n, "em": em / n, "f1": f1_sum / n, "refused": refused / n}


def main() -> None:
    from vlm.extractive import evidence

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--thresholds", default=f"{evidence.EVIDENCE_MODEL['threshold']:.3f},0.45,0.35")
    p.add_argument("--eval", action="store_true", help="also the questions of articles 0-19")
    args = p.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    files, items = korquad_items(70)
    dev_names = {f"korquad-{i:03d}.pdf" for i in range(DEV_FROM, 70)}
    dev = [i for i in items if i.filename in dev_names]
    held = [i for i in items if i.filename not in dev_names]
    rows, out = [], []
    with fresh_settings() as own, fresh_settings() as other:
        ingest(own, [f for f in files if f[0] in dev_names])
        ingest(other, [f for f in files if f[0] not in dev_names])
        for t in thresholds:
            evidence.ANSWER_THRESHOLD = t
            t0 = time.perf_counter()
            res = {"threshold": t, "dev": asked(own, dev), "dev_out": asked(other, dev)}
            if args.eval:
                res |= {"eval": asked(other, held), "eval_out": asked(own, held)}
            print(f"threshold {t}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            out.append(res)
            row = [t, f"{res['dev']['em']:.3f}", f"{res['dev']['f1']:.4f}", f"{res['dev']['refused']:.3f}",
                   f"{res['dev_out']['refused']:.3f}"]
            if args.eval:
                row += [f"{res['eval']['f1']:.4f}", f"{res['eval_out']['refused']:.3f}"]
            rows.append(row)
    headers = ["threshold", "dev EM", "dev F1", "dev refused", "dev out of collection refused"]
    if args.eval:
        headers += ["eval F1", "eval out of collection refused"]
    write_json("evidence_threshold", {"machine": machine(), "runs": out})
    print(f"evidence threshold on {machine()}: articles {DEV_FROM}-69 ({len(dev)} questions)"
          + (f", articles 0-{DEV_FROM - 1} ({len(held)})" if args.eval else ""))
    print(table(headers, rows))


if __name__ == "__main__":
    main()
