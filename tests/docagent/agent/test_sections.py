"""Questions that ask for a section by its heading (``이 법안의 제안 이유는?``): read as the
text under the heading when no span of a crop answers them."""

from __future__ import annotations

from docagent.agent.evidence import Candidate, crop_input
from docagent.agent.nodes import Nodes
from docagent.agent.sections import opening, read_section
from docagent.agent.state import SubQuestion
from tests.docagent.agent.node_helpers import FakeRetriever, run_until_verify
from vlm.backends.extractive import ExtractiveBackend

REASON = ("현행법은 탄소중립기본계획을 수립ㆍ시행하도록 하고, 탄소중립위원회를 두도록 하고 있음. "
          "그리고 모든 국민의 민주적 참여를 보장함을 기본원칙으로 하고 있음. "
          "이에 위원 위촉에 사회계층의 대표성을 반영하도록 정비하고자 함.")
AMENDMENT = "탄소중립기본법 일부를 다음과 같이 개정한다. 제15조제5항 중 “아동”을 삭제한다."


def _crop(text: str, page: int, y: float, heading: str, rank: int, crop_id: str,
          document_id: str = "bill") -> Candidate:
    result = {"document_id": document_id, "filename": f"{document_id}.pdf", "page": page, "kind": "text",
              "bbox": [71.0, y, 524.0, y + 120.0], "page_size": [595.0, 842.0], "crop_id": crop_id,
              "title": "탄소중립기본법 일부개정법률안", "headings": [heading] if heading else [], "caption": ""}
    return Candidate(result, crop_input(result, text, None, None, "text"), f"{result['title']} {heading}", rank)


def test_the_section_a_question_names_is_answered_from_its_first_crop_with_its_box():
    cands = [_crop(AMENDMENT, 3, 230, "제안이유 및 주요내용", 0, "11"),
             _crop(REASON, 2, 80, "제안이유 및 주요내용", 1, "7"),
             _crop(REASON, 1, 388, "제안이유 및 주요내용", 2, "4")]
    nodes = Nodes(FakeRetriever(cands), ExtractiveBackend())
    state = run_until_verify(nodes, "이 법안의 제안 이유는?")
    answer = nodes.synthesize(state)["answer"]
    assert answer.answerable
    assert answer.answer.startswith("현행법은 탄소중립기본계획을")
    cite = answer.citations[0]
    assert (cite.page, cite.bbox) == (1, [71.0, 388.0, 524.0, 508.0])  # the section's start, whole
    assert "「제안이유 및 주요내용」 아래의 본문" in answer.reasoning  # the reasoning says where it is from


def test_a_heading_must_hold_the_asked_noun_and_another_word_of_the_question():
    cands = [_crop(REASON, 1, 388, "제안이유 및 주요내용", 0, "4")]
    assert read_section(SubQuestion(0, "이 법안의 제안 이유는?"), cands) is not None
    assert read_section(SubQuestion(0, "이 법안의 개정 이유는?"), cands) is None  # 개정 is not in it
    assert read_section(SubQuestion(0, "이 법안은 몇 조를 고치나?"), cands) is None  # a number
    other = [_crop(REASON, 1, 388, "2. 추진 경과", 0, "4")]
    assert read_section(SubQuestion(0, "이 법안의 제안 이유는?"), other) is None


def test_a_short_label_inside_the_section_is_passed_over_and_the_opening_is_whole_sentences():
    label = _crop("가. 눈에 들어갔을 때", 2, 100, "4. 응급조치 요령", 0, "20", "msds")
    step = _crop("○ 긴급 의료조치를 받으시오. 눈을 흐르는 물로 15분 이상 씻어낸다.", 2, 130,
                 "4. 응급조치 요령", 1, "21", "msds")
    reading = read_section(SubQuestion(0, "응급조치 요령은?"), [label, step])
    assert reading is not None and reading.crop_id == "21"
    assert opening(REASON) == ("현행법은 탄소중립기본계획을 수립ㆍ시행하도록 하고, 탄소중립위원회를 두도록 하고 있음. "
                               "그리고 모든 국민의 민주적 참여를 보장함을 기본원칙으로 하고 있음.")


def test_the_real_bill_answers_why_it_was_proposed_from_the_text_under_its_heading(tmp_path):
    import os
    from pathlib import Path

    from docagent.ask import ask
    from docagent.db.migrate import upgrade
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings

    shared = Path(os.environ.get("DOCAGENT_SHARED_DATA", Path(__file__).resolve().parents[4] / "shared" / "data"))
    settings = Settings(home=tmp_path, ingest_workers=1, warm_idle_s=0)
    upgrade(settings.database_url)
    ing = Ingestor(settings)
    data = (shared / "real-ko-pdfs" / "bill-2125318.pdf").read_bytes()
    job, _ = ing.submit("default", "bills", [Upload("bill-2125318.pdf", data)])
    assert [r.status for r in ing.run_job(job)] == ["indexed"]
    answer, _ = ask(settings, "default", "bills", "이 법안의 제안 이유는?")
    assert answer.answerable and answer.answer.startswith("현행법은 기후위기 대응을 위해")
    assert (answer.citations[0].page, answer.citations[0].kind) == (1, "text")
