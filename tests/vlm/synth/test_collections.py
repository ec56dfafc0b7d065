"""Template collections: the gold points at the answers, entities stay in the title."""

from __future__ import annotations

import re

import pymupdf
import pytest

from vlm.synth.collections import (
    DEVELOPMENT_TEMPLATES,
    HELD_OUT_TEMPLATES,
    KINDS,
    TEMPLATES,
    UNSEEN_TEMPLATES,
    template_collection,
)
from vlm.synth.report import parse_number

NUMBER = re.compile(r"-?\d[\d,.]*")


def open_pdf(data: bytes) -> pymupdf.Document:
    return pymupdf.open(stream=data, filetype="pdf")


def words_in(page: pymupdf.Page, box) -> str:
    """The words of ``page`` whose centre lies inside ``box``, in reading order."""
    return " ".join(w[4] for w in page.get_text("words")
                    if box.x0 <= (w[0] + w[2]) / 2 <= box.x1 and box.y0 <= (w[1] + w[3]) / 2 <= box.y1)


def inside(rect: pymupdf.Rect, box, slack: float = 1.0) -> bool:
    return (rect.x0 >= box.x0 - slack and rect.x1 <= box.x1 + slack
            and rect.y0 >= box.y0 - slack and rect.y1 <= box.y1 + slack)


def test_the_template_split() -> None:
    assert len(TEMPLATES) >= 5 and len(DEVELOPMENT_TEMPLATES) == 3
    splits = [set(DEVELOPMENT_TEMPLATES), set(HELD_OUT_TEMPLATES), set(UNSEEN_TEMPLATES)]
    assert set.union(*splits) == set(TEMPLATES) and sum(map(len, splits)) == len(TEMPLATES)
    assert all(len(set(t.entities)) >= 12 for t in TEMPLATES.values())


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_gold_boxes_hold_the_answers(collections, key: str) -> None:
    col = collections[key]
    docs = {d.filename: open_pdf(d.pdf) for d in col.documents}
    for q in col.questions:
        doc = docs[q.filename]
        found = [words_in(doc[b.page - 1], b.box) for b in q.boxes]
        assert q.pages == tuple(sorted({b.page for b in q.boxes}))
        if q.kind == "two-step":
            a, b = (parse_number(NUMBER.search(text).group()) for text in found)
            assert f"{abs(b - a):,.{len(q.answer.partition('.')[2])}f}" == q.answer, (q, found)
        else:
            assert len(found) == 1 and q.answer in found[0], (q, found)
        if q.kind == "document":
            assert q.answer + q.unit.replace(" ", "") in found[0].replace(" ", ""), (q, found)


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_questions_name_the_entity_not_the_answer(collections, key: str) -> None:
    col = collections[key]
    assert {q.kind for q in col.questions} == set(KINDS) - ({"chart"} if key == "msds" else set())
    for q in col.questions:
        assert q.entity in q.text and q.template == key
        assert not re.search(rf"(?<![\d,.]){re.escape(q.answer)}(?![\d,.])", q.text), q
    assert len({q.id for q in col.questions}) == len(col.questions)


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_the_entity_is_named_only_in_the_title(collections, key: str) -> None:
    for d in collections[key].documents:
        doc = open_pdf(d.pdf)
        assert 3 <= doc.page_count <= 4
        hits = [(page.number, rect) for page in doc for rect in page.search_for(d.entity)]
        assert hits and all(n == 0 and inside(r, d.title_box.box) for n, r in hits), hits
        assert str(d.edition) in words_in(doc[0], d.title_box.box)


def normalised_text(d) -> list[str]:
    """Every word but the title's, with numbers replaced by ``#``."""
    doc = open_pdf(d.pdf)
    title = {tuple(w[:4]) for w in doc[0].get_text("words") if inside(pymupdf.Rect(w[:4]), d.title_box.box)}
    return [NUMBER.sub("#", w[4]) for page in doc for w in page.get_text("words")
            if not (page.number == 0 and tuple(w[:4]) in title)]


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_documents_of_a_template_differ_only_in_entity_and_numbers(collections, key: str) -> None:
    docs = collections[key].documents
    texts = [normalised_text(d) for d in docs]
    assert all(t == texts[0] for t in texts[1:])
    titles = {NUMBER.sub("#", d.title.replace(d.entity, "@")) for d in docs}
    assert len(titles) == 1
    assert len({d.edition for d in docs}) == len(docs) and len({d.entity for d in docs}) == len(docs)


def test_collections_are_deterministic_by_seed(collections) -> None:
    again = template_collection("city_yearbook", 3, seed=0)
    first = collections["city_yearbook"]
    assert [d.pdf for d in again.documents] == [d.pdf for d in first.documents]
    assert again.questions == first.questions
    other = template_collection("city_yearbook", 3, seed=1)
    assert [q.text for q in other.questions] != [q.text for q in first.questions]


def test_default_size_and_bounds() -> None:
    col = template_collection("msds")
    assert len(col.documents) == 12 and len({d.filename for d in col.documents}) == 12
    with pytest.raises(ValueError):
        template_collection("msds", 100)


def test_scanned_copies_have_no_text_layer(collections) -> None:
    col = collections["fund_monthly"]
    scan = col.scanned(dpi=72)
    assert scan.questions == col.questions and scan.template == col.template
    for born, scanned in zip(col.documents, scan.documents, strict=True):
        a, b = open_pdf(born.pdf), open_pdf(scanned.pdf)
        assert a.page_count == b.page_count and scanned.filename == born.filename
        assert all(p.get_text().strip() == "" and len(p.get_images()) == 1 for p in b)
        assert [p.rect for p in a] == [p.rect for p in b]


def test_pdfs_stay_small(collections) -> None:
    assert max(len(d.pdf) for c in collections.values() for d in c.documents) < 120_000


def test_yes_no_questions_take_the_object_particle_their_threshold_ends_on():
    from vlm.synth.agent_questions import agent_questions
    from vlm.synth.collections import josa

    for name in ("city_yearbook", "port_traffic"):
        coll = template_collection(name, n_documents=4, seed=7)
        asked = [q.text for q in agent_questions(coll, per_kind=4, seed=7) if q.kind == "yesno"]
        assert asked
        for text in asked:  # 세대를, 천 TEU를, 명을: never 세대을
            before = text[: text.index(" 넘었나?") - 1]
            particle = text[text.index(" 넘었나?") - 1]
            assert josa(before, "을를")[-1] == particle, text
