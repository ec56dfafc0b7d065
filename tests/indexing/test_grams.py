"""Character n-grams of titles, and the title signal of search: a name matched despite OCR."""

from __future__ import annotations

import numpy as np

from indexing.context import document_context
from indexing.grams import char_grams, squash
from indexing.passages import document_passages
from indexing.search import CollectionIndex, Fusion, Unit
from tests.indexing.test_passages import analyse, document


def test_grams_ignore_spaces_punctuation_and_case():
    assert squash(" 가 람병원 (Seoul)-2023 ") == "가람병원seoul2023"
    assert char_grams("가 람병원") == char_grams("가람병원") == ["가람", "람병", "병원", "가람병", "람병원"]
    assert char_grams("가람병원", (2,)) == ["가람", "람병", "병원"]
    assert char_grams("가") == ["가"] and char_grams(" - ") == []
    assert char_grams("ＡＢ") == char_grams("ab")  # NFKC: full-width letters


def test_the_document_unit_holds_its_title_grams():
    blocks, tables = document()
    ctx = document_context(blocks, filename="busan.pdf")
    doc = [u for u in document_passages(blocks, tables, ctx, analyse) if u.level == "document"][0]
    assert ctx.title == "부산 도시 보고서" and doc.context_terms == char_grams(ctx.title)
    assert all(not u.context_terms for u in document_passages(blocks, tables, ctx, analyse)
               if u.level == "page")


def _reports(tmp_path) -> CollectionIndex:
    """Three reports of one template: the same crop texts, only the titles name the hospital.
    Document 10's title was read by OCR with a split and a misread syllable."""
    index = CollectionIndex.open(tmp_path / "c", "none", 2)
    v = np.array([1.0, 0.0], np.float32)
    units = []
    for doc, title in ((10, "가 람병윈 운영 보고서"), (20, "한빛병원 운영 보고서"), (30, "누리병원 운영 보고서")):
        units += [Unit(doc, "document", ["병상", "운영", "보고서"], context_terms=char_grams(title)),
                  Unit(doc + 1, "page", ["병상"], document=doc),
                  Unit(doc + 2, "crop", ["병상", "수"], v, page=doc + 1, document=doc)]
    index.add_units(units)
    return index


def test_a_misread_title_still_matches_its_document(tmp_path):
    index = _reports(tmp_path)
    question = "가람병원의 병상 수는?"
    terms = ["가람병원", "병상", "수"]  # the analyser's terms: the misread title shares none
    plain = index.search(terms, None, 3, mode="sparse", fusion=Fusion(document=1.0, method="score"))
    assert len({h.score for h in plain}) == 1  # nothing tells the three reports apart
    fused = index.search(terms, None, 3, mode="sparse", fusion=Fusion(document=1.0, title=1.0, method="score"),
                         query_text=question)
    assert fused[0].id == 12 and fused[0].title_rank == 1 and fused[0].score > fused[1].score


def test_another_entity_does_not_match(tmp_path):
    index = _reports(tmp_path)
    for question, crop in (("한빛병원 병상 수", 22), ("누리 병원의 병상 수는?", 32)):
        fused = index.search(["병상", "수"], None, 3, mode="sparse", fusion=Fusion(title=1.0, method="score"),
                             query_text=question)
        assert fused[0].id == crop and fused[0].score > fused[1].score
    # A hospital no title names: the gram it shares with two titles ("병원") prefers neither.
    fused = index.search(["병상", "수"], None, 3, mode="sparse", fusion=Fusion(title=1.0, method="score"),
                         query_text="소망병원 병상 수")
    score = {h.id: h.score for h in fused}
    assert score[22] == score[32]


def test_without_the_question_text_the_terms_stand_in(tmp_path):
    index = _reports(tmp_path)
    hits = index.search(["한빛", "병원", "병상"], None, 1, mode="sparse", fusion=Fusion(title=1.0, method="score"))
    assert hits[0].id == 22


def test_a_saved_index_keeps_its_title_grams(tmp_path):
    index = _reports(tmp_path)
    index.save()
    reopened = CollectionIndex.open(tmp_path / "c", "none", 2)
    fusion = Fusion(title=1.0, method="score")
    for question in ("가람병원의 병상 수는?", "한빛병원"):
        assert reopened.search(["병상"], None, 3, mode="sparse", fusion=fusion, query_text=question) \
            == index.search(["병상"], None, 3, mode="sparse", fusion=fusion, query_text=question)
    index.remove([20])
    hits = index.search(["병상"], None, 3, mode="sparse", fusion=fusion, query_text="한빛병원")
    assert [h.title_rank for h in hits if h.id == 22] == [None]
