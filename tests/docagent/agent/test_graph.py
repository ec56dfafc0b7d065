"""The compiled graph with the extractive backend on a generated collection: the right answer
and the cited box for every question kind, and refusals where the collection has no answer."""

from __future__ import annotations

import json
import re

import pytest

from docagent.ask import ask
from docagent.errors import BadRequestError

from .conftest import centre_inside

ANSWERED = ("document", "table", "two-step", "chart", "compare", "extreme", "yesno")


def _number(text: str) -> str:
    m = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    return m.group(0).replace(",", "") if m else ""


def _right(q, answer) -> bool:  # type: ignore[no-untyped-def]
    if re.fullmatch(r"[\d,.]+", q.answer):
        return _number(answer.answer) == q.answer.replace(",", "")
    return answer.answer.startswith(q.answer)


@pytest.mark.parametrize("kind", ANSWERED)
def test_every_kind_is_answered_with_its_cited_boxes(collection, reports, kind: str) -> None:
    _, questions = reports
    qs = [q for q in questions if q.kind == kind]
    assert qs, kind
    for q in qs:
        answer, steps = ask(collection, "default", "reports", q.text)
        assert answer.answerable and _right(q, answer), (q.text, q.answer, answer.answer)
        assert answer.reasoning and answer.citations
        for gold in q.boxes:  # each gold cell or span holds the centre of a cited box
            assert any(c.page == gold.page and centre_inside(c.bbox, gold) for c in answer.citations), q.text
        assert [s.node for s in steps][:4] == ["plan", "retrieve", "read", "verify"]
        assert steps[-1].node == "synthesize"


def test_two_step_reasoning_shows_the_computation(collection, reports) -> None:
    q = next(q for q in reports[1] if q.kind == "two-step")
    answer, _ = ask(collection, "default", "reports", q.text)
    line = next(r for r in answer.reasoning if "−" in r and "=" in r)
    assert re.search(r"\d{4}년 [\d,]+ − \d{4}년 [\d,]+ = -?[\d,]+", line), line
    assert answer.answer.endswith(q.unit.replace(" ", "")) or q.unit in answer.answer


def test_unanswerable_questions_are_refused_without_citations(collection, reports) -> None:
    qs = [q for q in reports[1] if q.kind == "unanswerable"]
    assert qs
    for q in qs:
        answer, _ = ask(collection, "default", "reports", q.text)
        assert not answer.answerable and answer.reason and not answer.citations, (q.text, answer.answer)


def test_the_answer_object_follows_the_contract(collection, reports) -> None:
    q = next(q for q in reports[1] if q.kind == "table")
    payload = json.loads(json.dumps(ask(collection, "default", "reports", q.text)[0].to_json()))
    assert set(payload) >= {"answer", "reasoning", "citations", "answerable"}
    cite = payload["citations"][0]
    assert set(cite) >= {"document_id", "filename", "page", "bbox", "page_size", "crop_id", "kind", "quote"}
    assert cite["page"] >= 1 and len(cite["bbox"]) == 4 and cite["page_size"] == [595.0, 842.0]


def test_bad_questions_are_clear_errors(collection) -> None:
    with pytest.raises(BadRequestError):
        ask(collection, "default", "reports", "   ")
    with pytest.raises(BadRequestError):
        ask(collection, "default", "reports", "질문" * 600)


def test_steps_stream_as_they_end(collection, reports) -> None:
    seen: list[str] = []
    q = next(q for q in reports[1] if q.kind == "two-step")
    _, steps = ask(collection, "default", "reports", q.text, on_step=lambda s: seen.append(s.node))
    assert seen == [s.node for s in steps] and len(seen) <= 2 + 3 * 2
