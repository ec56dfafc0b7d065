"""Each node and the router on hand-made crops (no database): plan, retrieve, read, verify,
after_verify, synthesize, with the extractive backend."""

from __future__ import annotations

from docagent.agent.evidence import Candidate, crop_input
from docagent.agent.nodes import Limits, Nodes
from docagent.agent.state import Kind, Op
from indexing.geometry import Box
from indexing.model import Table, TableCell
from tests.docagent.agent.node_helpers import FakeRetriever, run_until_verify
from vlm.backends.extractive import ExtractiveBackend

GRID = [["구분", "2021년", "2022년", "2023년"], ["매출액(억 원)", "2,810", "3,067", "3,450"],
        ["영업이익(억 원)", "412", "455", "521"]]
X0, Y0, W, H = 100.0, 200.0, 80.0, 20.0


def _table(grid: list[list[str]] = GRID) -> Table:
    cells = [TableCell(r, c, t, Box(X0 + c * W, Y0 + r * H, X0 + (c + 1) * W, Y0 + (r + 1) * H))
             for r, row in enumerate(grid) for c, t in enumerate(row)]
    return Table(cells, len(grid), len(grid[0]), 1)


def _candidate(rank: int = 0, title: str = "한빛전자 2023 사업보고서", table: Table | None = None,
               text: str = "", crop_id: str = "7") -> Candidate:
    table = table if table is not None else (_table() if not text else None)
    body = text or "\n".join(" | ".join(r) for r in GRID)
    result = {"document_id": "d1", "filename": "report.pdf", "page": 2, "kind": "table" if table else "text",
              "bbox": [X0, Y0, X0 + 4 * W, Y0 + 3 * H], "page_size": [595.0, 842.0], "crop_id": crop_id,
              "title": title, "headings": ["3. 재무"], "caption": "표 1. 요약 재무"}
    ci = crop_input(result, body, None, table.to_dict() if table else None, result["kind"])
    return Candidate(result, ci, f"{title} 3. 재무", rank)


def test_plan_records_a_step_and_starts_the_counters() -> None:
    nodes = Nodes(FakeRetriever([]), ExtractiveBackend())
    update = nodes.plan({"question": "한빛전자의 2021년 대비 2023년 영업이익 증가폭은?"})
    assert update["plan"].kind == Kind.ARITHMETIC and update["plan"].op == Op.DIFFERENCE
    assert update["attempts"] == 0 and update["calls"] == 0 and update["steps"][0].node == "plan"


def test_retrieve_searches_each_open_sub_question() -> None:
    retriever = FakeRetriever([_candidate()])
    nodes = Nodes(retriever, ExtractiveBackend())
    state = {"question": "q", "k": 3, **nodes.plan({"question": "한빛전자의 2021년 대비 2023년 영업이익 증가폭은?"})}
    update = nodes.retrieve(state)
    assert len(retriever.queries) == 2 and set(update["candidates"]) == {0, 1}


def test_a_series_is_looked_for_deeper_than_the_paragraphs_that_outrank_its_table() -> None:
    # the question's words rank the paragraphs that introduce a chart over the chart itself
    prose = [_candidate(rank=i, text=f"영업이익은 해마다 늘었다 ({i}).", crop_id=str(i)) for i in range(6)]
    table = _candidate(rank=6, crop_id="9")
    retriever = FakeRetriever([*prose, table])
    nodes = Nodes(retriever, ExtractiveBackend())
    state = {"question": "q", "k": 3, **nodes.plan({"question": "한빛전자의 영업이익이 가장 많았던 해는?"})}
    assert state["plan"].subs[0].series
    update = nodes.retrieve(state)
    assert [c.crop_id for c in update["candidates"][0]] == ["9"]
    assert retriever.queries[0][1] > 6


def test_read_and_verify_find_both_cells_with_their_boxes() -> None:
    nodes = Nodes(FakeRetriever([_candidate()]), ExtractiveBackend())
    state = run_until_verify(nodes, "한빛전자의 2021년 대비 2023년 영업이익 증가폭은?")
    readings = state["readings"]
    assert [readings[i].text for i in (0, 1)] == ["412", "521"] and all(r.supported for r in readings.values())
    box = readings[1].citations[0].bbox  # the 2023 cell of the 영업이익 row
    assert X0 + 3 * W - 1 <= (box[0] + box[2]) / 2 <= X0 + 4 * W + 1 and Y0 + 2 * H <= (box[1] + box[3]) / 2 <= Y0 + 3 * H
    assert nodes.after_verify(state) == "synthesize"
    answer = nodes.synthesize(state)["answer"]
    assert answer.answer == "109억 원" and "2023년 521 − 2021년 412 = 109 (억 원)" in answer.reasoning


def test_verify_rejects_a_value_not_in_the_crop_and_the_router_goes_round_again() -> None:
    nodes = Nodes(FakeRetriever([_candidate()]), ExtractiveBackend(), Limits(k=3, rounds=2))
    state = run_until_verify(nodes, "한빛전자의 2023년 영업이익은?")
    reading = state["readings"][0]
    reading.supported = False
    reading.values[0] = reading.values[0].__class__("999", reading.values[0].number, "억 원")
    state["proposals"] = {0: [reading]}
    state["readings"] = {}
    state["attempts"] = 0
    update = nodes.verify(state)
    assert not update["readings"][0].supported and "999 not in the crop" in update["steps"][0].summary
    state.update(update)
    assert nodes.after_verify(state) == "retrieve"
    state["attempts"] = 2
    assert nodes.after_verify(state) == "synthesize"


def test_a_name_the_crop_and_its_title_lack_is_not_supported() -> None:
    nodes = Nodes(FakeRetriever([_candidate(title="새솔제약 2023 사업보고서")]), ExtractiveBackend())
    state = run_until_verify(nodes, "한빛전자의 2023년 영업이익은?")
    assert not state["readings"][0].supported
    answer = nodes.synthesize(state)["answer"]
    assert not answer.answerable and not answer.citations and answer.reason


def test_a_year_the_table_lacks_is_not_supported() -> None:
    nodes = Nodes(FakeRetriever([_candidate()]), ExtractiveBackend())
    state = run_until_verify(nodes, "한빛전자의 2019년 영업이익은?")
    assert not state["readings"][0].supported


def test_series_questions_read_the_whole_row() -> None:
    nodes = Nodes(FakeRetriever([_candidate()]), ExtractiveBackend())
    state = run_until_verify(nodes, "한빛전자의 매출액이 가장 많았던 해는?")
    reading = state["readings"][0]
    assert [v.label for v in reading.values] == ["2021년", "2022년", "2023년"] and len(reading.citations) == 3
    assert nodes.synthesize(state)["answer"].answer.startswith("2023년 (3,450억 원)")


def test_a_paragraph_fact_is_read_with_its_unit() -> None:
    text = "당사의 2023년 연구개발비는 1,377억 원으로 전년보다 늘었다."
    nodes = Nodes(FakeRetriever([_candidate(text=text)]), ExtractiveBackend())
    state = run_until_verify(nodes, "한빛전자의 2023년 연구개발비는 얼마인가?")
    answer = nodes.synthesize(state)["answer"]
    assert answer.answerable and answer.answer.startswith("1,377억 원")


def test_the_row_of_the_asked_year_beats_a_paragraph_that_only_its_title_dates() -> None:
    # 2023 is the edition, in the title: the paragraph is asked "임직원 수는?" and covers it all
    table = _candidate(rank=1, table=_table([["구분", "2022년", "2023년"], ["임직원 수(명)", "7,120", "7,413"]]))
    paragraph = _candidate(rank=0, text="다음 표는 최근 5개 연도의 임직원 수를 나타낸 것이다.", crop_id="8")
    nodes = Nodes(FakeRetriever([paragraph, table]), ExtractiveBackend())
    answer = nodes.synthesize(run_until_verify(nodes, "한빛전자의 2023년 임직원 수는?"))["answer"]
    assert answer.answerable and answer.answer.startswith("7,413"), answer
    assert answer.citations[0].crop_id == "7"


def test_a_cell_found_by_its_labels_is_named_as_the_sub_question_names_it() -> None:
    from docagent.agent.reading import lookup_cell
    from docagent.agent.state import SubQuestion

    c = _candidate(table=_table([["구분", "2020년", "2021년"], ["점도(cP)", "175.0", "180.2"]]),
                   title="그린솔 세척 용제 물질안전보건자료")
    sub = SubQuestion(0, "그린솔 세척 용제의 2021년 점도 값은 얼마인가?", label="그린솔 세척 용제",
                      entity="그린솔 세척 용제")
    reading = lookup_cell(sub, c)
    assert reading is not None and reading.values[0].text == "180.2"
    assert reading.values[0].label == "그린솔 세척 용제"  # a comparison names entities, not years


def test_a_name_the_title_holds_is_left_out_of_the_crops_question_whole() -> None:
    from docagent.agent.evidence import reader_question

    intro = "이 도서관은 지역 주민을 위한 공공 도서관이다. 2025년 말 현재 열람 좌석은 53석이다."
    plan = "내년에는 노후한 열람 공간을 고치고 어린이 자료실의 좌석을 늘릴 예정이다."
    question = "윤슬 도서관의 열람 좌석은?"
    for text in (intro, plan):  # "도서관" of the name is in one paragraph's own text only
        c = _candidate(title="2025년도 윤슬 도서관 운영 실적", text=text)
        assert reader_question(question, c) == "열람 좌석은?"
    # the whole name is not in the title: its words go by the word rule, one by one
    c = _candidate(title="2025년도 윤슬 어린이도서관 운영 실적", text=intro)
    assert reader_question(question, c) == "도서관의 열람 좌석은?"
    # the paragraph that says it answers, not the one with both words apart
    nodes = Nodes(FakeRetriever([_candidate(rank=0, title="2025년도 윤슬 도서관 운영 실적", text=plan),
                                 _candidate(rank=1, title="2025년도 윤슬 도서관 운영 실적", text=intro,
                                            crop_id="8")]), ExtractiveBackend())
    answer = nodes.synthesize(run_until_verify(nodes, "윤슬 도서관의 열람 좌석을 알려 주세요."))["answer"]
    assert answer.answerable and answer.answer.startswith("53"), answer


def _document_of(c: Candidate, document_id: str) -> Candidate:
    c.result["document_id"] = document_id
    return c


def test_a_name_written_in_another_retrieved_crop_of_the_document_is_named() -> None:
    """An article names 북한 in one paragraph and answers in the next: the answer holds; a
    name no crop of that document writes still refuses it."""
    answer = _candidate(title="서해 교전", text="교전 후 해군 고속정 참수리 357호가 침몰하였다. "
                        "해군은 다음 날 인양 작업을 시작하였다.", crop_id="1")
    other = _candidate(rank=1, title="서해 교전", text="북한 경비정이 북방한계선을 넘었다.", crop_id="2")
    question = "북한과의 교전 후 침몰한 해군 고속정은?"
    nodes = Nodes(FakeRetriever([_document_of(answer, "a"), _document_of(other, "a")]), ExtractiveBackend())
    reading = run_until_verify(nodes, question)["readings"][0]
    assert reading.supported and reading.text and reading.crop_id == "1"
    nodes = Nodes(FakeRetriever([_document_of(answer, "a"), _document_of(other, "b")]), ExtractiveBackend())
    reading = run_until_verify(nodes, question)["readings"][0]
    assert not reading.supported and "북한 is not named" in reading.note


def test_a_column_without_a_unit_does_not_take_another_column_s() -> None:
    # a scan's header lost its "(건)": the cell has no unit, and "(%)" is the next column's
    grid = [["", "이용률(%)", "고장정지"], ["2004년", "42.6", "22"], ["2005년", "30.1", "18"]]
    c = _candidate(table=_table(grid))
    c.crop.text = "\n".join(" | ".join(r) for r in grid)
    nodes = Nodes(FakeRetriever([c]), ExtractiveBackend())
    state = run_until_verify(nodes, "한빛전자의 2005년 고장정지 건수는?")
    (value,) = state["readings"][0].values
    assert value.text == "18" and value.unit == ""


def test_readings_are_ranked_by_the_readers_evidence_score_before_coverage() -> None:
    from docagent.agent.reading import propose
    from docagent.agent.state import SubQuestion
    from vlm.backends.base import GroundedAnswer

    class Scripted:  # what the extractive reader says of each crop, in retrieval order
        name = "extractive"

        def answer(self, requests):  # type: ignore[no-untyped-def]
            return [GroundedAnswer("민주당", True, raw="rule=paragraph.typed coverage=0.60 evidence=0.410"),
                    GroundedAnswer("한나라당", True, raw="rule=paragraph.typed coverage=0.45 evidence=0.870")]

    crops = [_candidate(0, text="민주당은 천안함 사건의 진상 규명을 요구했다.", crop_id="1"),
             _candidate(1, text="한나라당은 천안함 사건에 대해 북한의 책임론을 주장했다.", crop_id="2")]
    readings = propose(Scripted(), SubQuestion(0, "천안함 사건에 대해 북한의 책임론을 주장한 당은?"), crops)
    assert [r.text for r in readings] == ["한나라당", "민주당"]


def test_against_a_table_cell_coverage_ranks_the_readings_as_before() -> None:
    from docagent.agent.reading import propose
    from docagent.agent.state import SubQuestion
    from vlm.backends.base import GroundedAnswer

    class Scripted:  # a paragraph's span (with an evidence score) and a table cell (without)
        name = "extractive"

        def answer(self, requests):  # type: ignore[no-untyped-def]
            return [GroundedAnswer("1,743.5ha", True, raw="rule=paragraph.typed coverage=0.50 evidence=0.900"),
                    GroundedAnswer("1,960.1", True, raw="rule=table.cell coverage=0.80")]

    crops = [_candidate(0, text="새말항의 2022년 항만 면적은 1,743.5ha이다.", crop_id="1"),
             _candidate(1, crop_id="2")]
    readings = propose(Scripted(), SubQuestion(0, "새말항의 여객 수 가운데 2022년 값은 얼마입니까?"), crops)
    assert [r.text for r in readings][:1] == ["1,960.1"]
