"""``make demo``: ingest sample Korean documents and print located search results.

Documents: the four real Korean PDFs in ``../shared/data/real-ko-pdfs`` (when present), a
generated financial table, and a generated page that exists only as a scan (so it is read by
OCR). Each query has a known answer page; the demo prints the top results with page, box and
kind, marks whether the expected page came first, and draws the top box onto the page image
under ``$DOCAGENT_HOME/demo-hits/`` so the location can be checked by eye.

Then a template collection: a dozen city statistics yearbooks filled from one template, where
only the title on page 1 names the city. One question of each kind (paragraph, table cell,
change between two years, chart value) is asked, and the demo shows that the top result is on
the right report's right page, with the matching table row and the title it was found by.

Last, the agent answers: table lookups and arithmetic over the sample financial table, why the
real bill was proposed (the text under its heading), and one
question of every kind over the yearbooks (paragraph, table, two-step, chart, comparison
across reports, a series' extreme, yes/no, and one it must refuse), each with its reasoning,
citations and the cited boxes drawn (``docagent.demo_answers``).
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

from docagent.ingest import Ingestor
from docagent.intake import Upload
from docagent.search import SearchResult, search
from docagent.settings import Settings, get_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-ko-pdfs"
COLLECTION = "demo"
REPORTS = "demo-reports"

SCAN_TEXT = [
    "고객센터 운영 안내",
    "고객센터는 평일 오전 9시부터 오후 6시까지 운영하며, 점심시간은 낮 12시부터 1시까지입니다.",
    "주말과 공휴일에는 온라인 문의 게시판을 이용해 주시기 바랍니다.",
]

# (query, expected filename, expected page)
QUERIES = [
    ("9월 KOSPI 지수 하락", "fund-report-kb-202309.pdf", 1),
    ("CGA-35 제품의 권고 용도", "msds-cga35.pdf", 1),
    ("특허 출원인 한글과컴퓨터", "patent-1020210175798.pdf", 1),
    ("탄소중립위원회 위원 위촉 대표성", "bill-2125318.pdf", 2),
    ("2023년 영업이익", "financials.pdf", 1),
    ("고객센터 점심시간", "customer-center-scan.pdf", 1),
]


def sample_documents() -> list[Upload]:
    from vlm.synth.pdf import rasterise, table_pdf, text_pdf

    docs = [Upload(p.name, p.read_bytes()) for p in sorted(SHARED.glob("*.pdf"))]
    docs.append(Upload("financials.pdf", table_pdf()))
    scan = rasterise(text_pdf(SCAN_TEXT[0], SCAN_TEXT[1:]).pdf, dpi=200)
    docs.append(Upload("customer-center-scan.pdf", scan))
    return docs


def draw_hit(settings: Settings, hit: SearchResult, out: Path) -> Path:
    """Draw ``hit``'s box on its page render; returns the PNG path."""
    from sqlalchemy import select

    from docagent.db.models import Page
    from docagent.db.session import session_scope
    from docagent.images import PageImages
    from docagent.store import FileStore

    with session_scope(settings.database_url) as s:
        page = s.scalar(select(Page).where(Page.document_id == hit.document_id, Page.number == hit.page))
        data, dpi = PageImages(FileStore(settings.files_dir)).page(page.document, page), page.image_dpi
    img = Image.open(io.BytesIO(data)).convert("RGB")
    scale = dpi / 72.0
    ImageDraw.Draw(img).rectangle([v * scale for v in hit.bbox], outline=(220, 30, 30), width=4)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{Path(hit.filename).stem}-p{hit.page}.png"
    img.save(path)
    return path


def main() -> int:
    settings = get_settings()
    ingestor = Ingestor(settings)
    docs = sample_documents()
    print(f"ingesting {len(docs)} documents into collection '{COLLECTION}' under {settings.home}")
    t0 = time.perf_counter()
    job_id, _ = ingestor.submit("default", COLLECTION, docs)
    rows = ingestor.run_job(job_id)
    elapsed = time.perf_counter() - t0
    for r in rows:
        print(f"  {r.status:8} {r.filename:32} pages={r.pages:<3} crops={r.crops:<4} {r.error or ''}")
    print(f"  {sum(r.pages for r in rows)} pages in {elapsed:.1f} s (a re-run is a no-op: same bytes)\n")
    found = 0
    for query, filename, page in QUERIES:
        if not any(r.filename == filename and r.status == "indexed" for r in rows):
            continue
        hits = search(settings, "default", COLLECTION, query, k=3)
        ok = bool(hits) and hits[0].filename == filename and hits[0].page == page
        found += ok
        print(f"{'✓' if ok else '✗'} {query}   (expected {filename} p.{page})")
        for h in hits:
            print(f"    {h.score:.4f}  {h.filename} p.{h.page} {h.kind:<14} bbox={h.bbox}  "
                  f"{' '.join(h.text.split())[:70]}")
        if hits:
            print(f"    top box drawn: {draw_hit(settings, hits[0], settings.home / 'demo-hits')}")
    print(f"\n{found}/{len(QUERIES)} queries put the expected page first")
    right = template_collection_demo(settings, ingestor)
    answered = answers_demo(settings)
    return 0 if found and right and answered else 1


def answers_demo(settings: Settings) -> int:
    from docagent.demo_answers import sample_questions, show, template_questions
    from vlm.synth.agent_questions import agent_questions
    from vlm.synth.collections import template_collection

    print("\nanswers (docagent ask) over the sample documents")
    asked = [show(settings, COLLECTION, q, a, f"sample-{i}") for i, (q, a) in enumerate(sample_questions(SHARED))]
    reports = template_collection("city_yearbook", n_documents=12, seed=1)
    print(f"\nanswers over the {len(reports.documents)} city yearbooks")
    pairs = template_questions(reports, agent_questions(reports, per_kind=1, seed=1))
    asked += [show(settings, REPORTS, q, a, f"yearbook-{i}") for i, (q, a) in enumerate(pairs)]
    print(f"\n{sum(asked)}/{len(asked)} questions answered as expected (refusals included)")
    return sum(asked)


def template_collection_demo(settings: Settings, ingestor: Ingestor) -> int:
    """Twelve reports of one template; one question per kind; the top hit's page checked."""
    from vlm.synth.collections import KINDS, template_collection

    reports = template_collection("city_yearbook", n_documents=12, seed=1)
    print(f"\ningesting {len(reports.documents)} city yearbooks of one template into '{REPORTS}'")
    job_id, _ = ingestor.submit("default", REPORTS, [Upload(d.filename, d.pdf) for d in reports.documents])
    ingestor.run_job(job_id)
    right = 0
    for kind in KINDS:
        q = next(q for q in reports.questions if q.kind == kind)
        hits = search(settings, "default", REPORTS, q.text, k=1)
        top = hits[0] if hits else None
        ok = top is not None and top.filename == q.filename and top.page in q.pages
        right += ok
        print(f"{'✓' if ok else '✗'} [{kind}] {q.text}   (expected {q.filename} p.{q.pages[0]}, "
              f"answer {q.answer}{q.unit})")
        if top is not None:
            row = f" row {top.row['text']!r} at {top.row['bbox']}" if top.row else ""
            print(f"    {top.filename} p.{top.page} {top.kind} bbox={top.bbox}{row}\n"
                  f"    found through the title {top.title!r}")
    print(f"\n{right}/{len(KINDS)} template questions put the right report's page first")
    return right


if __name__ == "__main__":
    sys.exit(main())
