"""Reading crops: one value per sub-question through the VLM backend, or a whole series.

``propose`` asks the backend about every candidate crop (one request per crop, in one batch)
and returns the readings best first: answerable ones, then by the reader's fitted evidence
score when every one is a paragraph's span (else by how much of the question the evidence
covered), then by retrieval rank. Boxes come back normalised to each crop and are
mapped to page points through the crop's frame. ``read_series`` takes a table's (or chart's)
row or column that the sub-question names, with the labels of the other axis, for extremes,
trends, totals and lists, which no single cell answers. A reading from one part of a table
that crosses pages cites the other parts as well, each as a whole on its own page.
"""

from __future__ import annotations

import re

from docagent.agent.answer import Citation
from docagent.agent.arithmetic import Value, parse_value, unit_note, unit_of
from docagent.agent.evidence import CHART_KINDS, Candidate, reader_question
from docagent.agent.planner import years_in
from docagent.agent.state import Reading, SubQuestion
from indexing.geometry import Box
from indexing.tokenize import PAIR_JOINER, noun_pairs
from vlm.backends.base import GroundedAnswer, VisionRequest, VLMBackend
from vlm.extractive.morph import terms_of, tokenize
from vlm.extractive.tables import expanded_grid

_COVERAGE = re.compile(r"coverage=([0-9.]+)")
_EVIDENCE = re.compile(r"evidence=([0-9.]+)")
_CAPTION_NUMBER = re.compile(r"^\s*(그림|도표|차트|Figure|Fig\.?|Chart)\s*[0-9.]+\s*", re.IGNORECASE)

_YEARISH = re.compile(r"^(?:19|20)\d\d\s*년?도?$|^\d{1,2}\s*월$|^Q[1-4]$|^\d분기$")


def citation(c: Candidate, box: Box | None, quote: str) -> Citation:
    r = c.result
    b = box.as_list() if box is not None else list(r["bbox"])
    return Citation(document_id=r["document_id"], filename=r["filename"], page=int(r["page"]),
                    bbox=[round(float(v), 2) for v in b], page_size=list(r["page_size"]),
                    crop_id=c.crop_id, kind=r["kind"], quote=" ".join(quote.split())[:300])


def requests_for(sub: SubQuestion, candidates: list[Candidate]) -> list[VisionRequest]:
    return [VisionRequest(reader_question(sub.text, c), [c.crop]) for c in candidates]


def propose(backend: VLMBackend, sub: SubQuestion, candidates: list[Candidate],
            answers: list[GroundedAnswer] | None = None) -> list[Reading]:
    """Readings of ``sub`` from ``candidates``, best first (see the module docstring)."""
    requests = requests_for(sub, candidates)
    if answers is None:
        answers = backend.answer(requests) if requests else []
    scored = []
    by_evidence = _all_paragraphs(answers)
    for c, req, ans in zip(candidates, requests, answers, strict=False):
        reading = _reading(sub, c, req, ans)
        m = (_EVIDENCE if by_evidence else _COVERAGE).search(ans.raw or "")
        # a reading with no figure of its own: in the middle if vouched for (another backend's),
        # last if refused ("nothing matches" says less than a near miss's coverage)
        coverage = float(m.group(1)) if m else (0.5 if ans.answerable else 0.0)
        coverage *= _year_share(sub.text, req.question)
        said = _said_together(req.question, reading.citations[0].quote if ans.answerable else "")
        scored.append(((ans.answerable, round(coverage, 3), said, -c.rank), reading))
    for c, (key, _) in zip(candidates, list(scored), strict=False):
        if not key[0] and (cell := lookup_cell(sub, c)) is not None:
            scored.append(((True, 0.34, 0, -c.rank), cell))  # below every reading the backend vouched for
    scored.sort(key=lambda t: t[0], reverse=True)
    return [r for _, r in scored]


def _all_paragraphs(answers: list[GroundedAnswer]) -> bool:
    """Whether every answer the backend vouched for carries the reader's fitted evidence score
    (a span read from a paragraph). That score ranks paragraphs against each other better than
    coverage does (a crop that holds the question's words but not its fact); a table cell's
    reading has none, and against one, coverage ranks them all."""
    vouched = [a for a in answers if a.answerable]
    return bool(vouched) and all(_EVIDENCE.search(a.raw or "") for a in vouched)


def _said_together(question: str, evidence: str) -> int:
    """How many of the question's noun pairs (``열람 좌석``) the evidence says as pairs, spaces
    aside. Of two readings that cover the question alike, the one whose sentence says "열람
    좌석은 53석" answers it; the one that says "열람 공간을 고치고 ... 좌석을 늘릴" only holds
    its words."""
    said = "".join(evidence.split())
    return sum(pair.replace(PAIR_JOINER, "") in said for pair in set(noun_pairs(tokenize(question))))


def _year_share(asked: str, put: str) -> float:
    """The share of the question a reading's coverage stands for. A crop that does not state
    the asked year is asked without it (the year is its document's edition, in the title:
    ``evidence.reader_question``) and would cover the rest at no cost: "최근 5개 학년도의 학생 수와
    졸업생 ..." covers "졸업생 수" fully and beat the table row of that very year. Each year
    left out counts as one term not matched."""
    dropped = len(set(years_in(asked)) - set(years_in(put)))
    if not dropped:
        return 1.0
    kept = max(len(_terms(put)), 1)
    return kept / (kept + dropped)


def _names_the_chart(question: str, c: Candidate) -> bool:
    """Whether the question names what the chart's caption (or, without one, its section
    heading) says it shows: at least half the caption's terms. A lone series read from a scan
    has no label of its own; without this, any question that matches a year of the chart takes
    its value ("의료진 수는?" answered from "그림 1. 응급실 내원 환자 수")."""
    caption = c.result.get("caption") or " ".join((c.result.get("headings") or [])[-1:])
    said = {t for t in _terms(_CAPTION_NUMBER.sub("", caption)) if not _YEARISH.match(t)}
    return not said or len(said & _terms(question)) >= 0.5 * len(said)


def _label(text: str) -> str:
    return "".join(re.sub(r"\(.*?\)", "", text).split())


def lookup_cell(sub: SubQuestion, c: Candidate) -> Reading | None:
    """The cell whose row label and column header both occur in the sub-question, spelled as
    the table spells them (``점도(cP)`` and ``2010년``): where morphemes split a label the
    question shares (Kiwi reads ``점도`` as 점 + 도), the labels still match as text."""
    table = c.crop.table
    if table is None:
        return None
    grid = expanded_grid(table)
    q = "".join(sub.text.split())
    rows = [i for i in range(1, len(grid)) if len(_label(grid[i][0])) >= 2 and _label(grid[i][0]) in q]
    cols = [j for j in range(1, len(grid[0])) if len(_label(grid[0][j])) >= 2 and _label(grid[0][j]) in q]
    if not rows and len(grid) == 2 and not _label(grid[1][0]) and c.crop.kind in CHART_KINDS \
            and _names_the_chart(sub.text, c):
        rows = [1]  # a chart's lone series, unnamed on a scan where its title is a crop apart
    if len(rows) > 1:
        rows = [max(rows, key=lambda i: len(_label(grid[i][0])))]
    if len(cols) > 1:
        cols = [max(cols, key=lambda j: len(_label(grid[0][j])))]
    if len(rows) != 1 or len(cols) != 1:
        return None
    r, col = rows[0], cols[0]
    text = grid[r][col]
    cell = next((x for x in table.cells if x.row <= r < x.row + x.row_span and x.col <= col < x.col + x.col_span), None)
    unit = unit_of(grid[r][0], grid[0][col]) or _table_unit(c)
    value = parse_value(text, unit, sub.label)  # as a reading names it: the entity, the year
    quote = " | ".join(grid[r])
    return Reading(sub.id, text, [value] if value else [], [citation(c, cell.box if cell else None, quote)],
                   c.crop_id, "table.labels", False, "", list(c.parts))


def _reading(sub: SubQuestion, c: Candidate, req: VisionRequest, ans: GroundedAnswer) -> Reading:
    boxes = [b for _, b in ans.page_boxes(req)]
    quote = ans.evidence[1].text if len(ans.evidence) > 1 and ans.evidence[1].text else ans.text
    answer_box = boxes[0] if boxes else None
    if c.crop.table is not None:
        unit = _cell_unit(c, answer_box, ans.text) or _table_unit(c)
    else:
        unit = unit_of(quote, c.crop.text, c.result.get("caption") or "", c.context)
    value = parse_value(ans.text, unit, sub.label) if ans.answerable else None
    cites = [citation(c, answer_box, quote)]
    note = "" if ans.answerable else ans.text
    if ans.answerable and _estimated(c, answer_box):
        note = f"{ans.text}: measured from the chart's drawing (no value printed)"
    return Reading(sub.id, ans.text if ans.answerable else "", [value] if value else [], cites,
                   c.crop_id, (ans.raw or "").split(" ")[0], False, note,
                   list(c.parts) if ans.answerable else [])


def _estimated(c: Candidate, box: Box | None) -> bool:
    """Whether the chart cell under ``box`` was measured from geometry rather than printed."""
    cell = _cell_at(c, box)
    return bool(cell is not None and getattr(cell, "estimated", False))


def _cell_at(c: Candidate, box: Box | None):  # type: ignore[no-untyped-def]
    if c.crop.table is None or box is None:
        return None
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return next((cell for cell in c.crop.table.cells if cell.box is not None
                 and cell.box.x0 <= cx <= cell.box.x1 and cell.box.y0 <= cy <= cell.box.y1), None)


def _table_unit(c: Candidate) -> str:
    """A table's unit for all of its cells: a unit note in it, or its caption's or context's
    unit. Another column's ``(%)`` is not this cell's unit (a header OCR read without its
    ``(건)`` took the next column's percent, and a comparison was refused)."""
    return unit_note(c.crop.text) or unit_of(c.result.get("caption") or "", c.context)


def _cell_unit(c: Candidate, box: Box | None, text: str) -> str:
    """The unit a table cell's row label or column header gives (``인구(명)``), if any."""
    table = c.crop.table
    if table is None:
        return ""
    grid = expanded_grid(table)
    cell = _cell_at(c, box)
    at = (cell.row, cell.col) if cell is not None else None
    if at is None:
        at = next(((cell.row, cell.col) for cell in table.cells if cell.text.strip() == text.strip()), None)
    if at is None or not grid:
        return ""
    r, col = at
    return unit_of(grid[r][0], grid[0][col] if col < len(grid[0]) else "")


def _terms(text: str) -> set[str]:
    return {h.term for h in terms_of(tokenize(text))}


def _label_score(label: str, want: set[str], want_text: str) -> float:
    got = _terms(label)
    if not got:
        return 0.0
    shared = len(got & want)
    compact = "".join(label.split())
    bonus = 0.5 if compact and re.sub(r"\(.*?\)", "", compact) in "".join(want_text.split()) else 0.0
    return shared / len(got) + bonus


def read_series(sub: SubQuestion, c: Candidate) -> Reading | None:
    """The row or column of ``c``'s table that ``sub`` names, as labelled values."""
    table = c.crop.table
    if table is None:
        return None
    grid = expanded_grid(table)
    if len(grid) < 2 or len(grid[0]) < 2:
        return None
    want_text = reader_question(sub.text, c)
    want = _terms(want_text)
    header = grid[0]
    yearly_cols = sum(bool(_YEARISH.match(h.strip())) for h in header[1:])
    yearly_rows = sum(bool(_YEARISH.match(row[0].strip())) for row in grid[1:])
    if yearly_cols >= yearly_rows:  # series run along rows: pick the row
        lines = [(row[0], [(header[j], row[j], (i, j)) for j in range(1, len(row))]) for i, row in enumerate(grid[1:], 1)]
    else:  # years down the side: pick the column
        lines = [(header[j], [(grid[i][0], grid[i][j], (i, j)) for i in range(1, len(grid))]) for j in range(1, len(header))]
    scored = [(_label_score(name, want, want_text), k) for k, (name, _) in enumerate(lines)]
    best, k = max(scored)
    if best <= 0 and len(lines) > 1:
        return None
    name, cells = lines[k]
    unit = unit_of(name, c.crop.text, c.result.get("caption") or "", c.context)
    values: list[Value] = []
    cites: list[Citation] = []
    boxes = {(cell.row, cell.col): cell.box for cell in table.cells}
    measured = {(cell.row, cell.col) for cell in table.cells if getattr(cell, "estimated", False)}
    estimated: list[str] = []
    for label, text, rc in cells:
        year = re.match(r"(?:19|20)\d\d", label.strip())
        if sub.years and year and int(year.group(0)) not in sub.years:
            continue
        v = parse_value(text, unit, " ".join(label.split()))
        if v is None:
            continue
        values.append(v)
        cites.append(citation(c, boxes.get(rc), f"{name} | {label}: {text}"))
        if rc in measured:
            estimated.append(" ".join(label.split()))
    if len(values) < 2 and not sub.years:
        return None
    note = f"{', '.join(estimated)}: measured from the chart's drawing (no value printed)" if estimated else ""
    return Reading(sub.id, name, values, cites, c.crop_id, "series", False, note, list(c.parts))
