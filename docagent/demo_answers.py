"""The answering half of ``make demo``: questions of every kind asked through the agent, each
answer printed with its reasoning and citations, and the cited boxes drawn on the page images
under ``$DOCAGENT_HOME/demo-answers/``."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw

from docagent.agent.answer import Answer
from docagent.ask import ask
from docagent.settings import Settings

# (question, expected answer text, or None for a refusal) over the sample documents
SAMPLE_QUESTIONS = [
    ("2023년 영업이익은 2021년보다 얼마나 늘었나?", "109억 원"),
    ("2022년 매출액은 얼마인가?", "3,067"),
    ("2021년 대비 2023년 매출액 증가율은?", "22.8%"),
    ("2030년 매출액은 얼마인가?", None),
]
# (question, expected answer text, file it needs) over the real PDFs of the shared data
REAL_QUESTIONS = [
    ("이 법안의 제안 이유는?", "현행법은 기후위기 대응을 위해", "bill-2125318.pdf"),
]


def sample_questions(real_pdfs: Path) -> list[tuple[str, str | None]]:
    """The sample questions, with those over the real PDFs found in ``real_pdfs``."""
    return SAMPLE_QUESTIONS + [(q, a) for q, a, needs in REAL_QUESTIONS if (real_pdfs / needs).exists()]


def draw_citations(settings: Settings, answer: Answer, out: Path, name: str) -> list[Path]:
    """One PNG per cited page with every cited box on it; returns the paths."""
    from sqlalchemy import select

    from docagent.db.models import Page
    from docagent.db.session import session_scope
    from docagent.images import PageImages
    from docagent.store import FileStore

    pages: dict[tuple[str, str, int], list[list[float]]] = {}
    for c in answer.citations:
        pages.setdefault((c.document_id, Path(c.filename).stem, c.page), []).append(c.bbox)
    images = PageImages(FileStore(settings.files_dir))
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with session_scope(settings.database_url) as s:
        for (doc_id, stem, number), boxes in pages.items():
            page = s.scalar(select(Page).where(Page.document_id == doc_id, Page.number == number))
            if page is None:
                continue
            img = Image.open(io.BytesIO(images.page(page.document, page))).convert("RGB")
            scale = page.image_dpi / 72.0
            draw = ImageDraw.Draw(img)
            for b in boxes:
                draw.rectangle([v * scale for v in b], outline=(220, 30, 30), width=3)
            path = out / f"{name}-{stem}-p{number}.png"
            img.save(path)
            paths.append(path)
    return paths


def show(settings: Settings, collection: str, question: str, expected: str | None, name: str) -> bool:
    answer, _ = ask(settings, "default", collection, question)
    if expected is None:
        ok = not answer.answerable
    else:
        ok = answer.answerable and _same(expected, answer.answer)
    print(f"{'✓' if ok else '✗'} [{answer.kind}] {question}")
    print(f"    answer: {answer.answer}" if answer.answerable else f"    cannot answer: {answer.reason}")
    for line in answer.reasoning:
        print(f"      · {line}")
    for c in answer.citations[:6]:
        print(f"      [{c.filename} p.{c.page} {c.kind} bbox={c.bbox}] {c.quote[:70]}")
    if answer.citations:
        drawn = draw_citations(settings, answer, settings.home / "demo-answers", name)
        print(f"      cited boxes drawn: {', '.join(str(p) for p in drawn)}")
    return ok


def _same(expected: str, got: str) -> bool:
    squash = lambda t: re.sub(r"[\s,]", "", t)  # noqa: E731
    return squash(expected) in squash(got)


def template_questions(reports, extra) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """One question per kind of a template collection, with the answer it was built with."""
    out = []
    for kind in ("document", "table", "two-step", "chart", "compare", "extreme", "yesno", "unanswerable"):
        q = next((q for q in [*reports.questions, *extra] if q.kind == kind), None)
        if q is not None:
            out.append((q.text, q.answer or None))
    return out
