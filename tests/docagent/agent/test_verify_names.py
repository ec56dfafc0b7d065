"""The names a sub-question must find in its evidence are names, not names with a particle."""

from __future__ import annotations

from docagent.agent.verify import _named, owner_words, proper_nouns


def test_a_possessive_is_not_part_of_the_name():
    names = proper_nouns("2020년 젯플로 절삭유의 점도 값은 얼마인가?")
    assert "절삭유의" not in names and "절삭유" in names
    assert all(_named(n, "젯플로절삭유물질안전보건자료") for n in names)


def test_names_without_a_particle_are_kept_whole():
    assert "한빛전자" in proper_nouns("한빛전자의 2023년 매출액은?")


def test_question_words_are_no_names():
    assert proper_nouns("대륙횡단 철도건설은 누구의 보수당이 시작한 사업이었는가?") == ["보수당"]
    assert proper_nouns("ESP는 무엇의 약자인가?") == []


def test_the_document_a_demonstrative_points_at_is_no_name():
    assert "법안" not in proper_nouns("이 법안의 제안 이유는?")
    assert "보고서" not in proper_nouns("본 보고서의 작성 목적은?")
    assert "한빛전자" in proper_nouns("2023년 한빛전자의 매출액은?")


def test_a_name_is_found_in_any_case_and_without_a_particle_left_on_it():
    assert _named("jtbc", "JTBC는2011년개국하였다")
    assert _named("송요찬이", "송요찬은일본군하사관출신이다")
    assert not _named("한빛전자", "동해조선2023사업보고서")
    assert not _named("송요찬이", "백선엽은군인이다")


def test_the_words_before_the_owner_are_part_of_the_name():
    # "도서관" alone is in every library's report: "바람개비" must be found too
    assert proper_nouns("바람개비 도서관의 2005년 방문자 수는 얼마인가?") == ["도서관", "바람개비"]
    assert "꽃뫼" in proper_nouns("2001년 기준 꽃뫼 시립도서관의 소장 도서는?")
    assert set(proper_nouns("한빛 성장주 증권투자신탁의 2023년 순자산은?")) >= {"한빛", "성장주"}
    # dates, words with a particle and determiners are not parts of a name
    assert owner_words("2001년 기준") == [] and owner_words("철도건설은") == []
    assert owner_words("그 당시 영국") == ["영국"]
    assert not _named("바람개비", "2006년도별빛작은도서관운영실적")


def test_a_question_word_glued_to_its_noun_names_nobody():
    assert proper_nouns("GP-슈트레케는 몇개의 코너가 있는가?") == ["슈트레케"]
    assert proper_nouns("시리아 정부는 어느나라의 국경을 봉쇄했는가?") == ["시리아"]
    assert "얼마" not in proper_nouns("법원은 김경준에게 얼마의 벌금을 선고하였나?")


def test_a_name_the_ocr_model_cannot_write_says_so_when_missing():
    from docagent.agent.verify import not_named

    assert not_named("한빛전자", "a.pdf") == "한빛전자 is not named in a.pdf"
    reason = not_named("솔뫼군", "water.pdf")  # Debian's kor model has no 뫼
    assert reason.startswith("솔뫼군 is not named in water.pdf") and "cannot write 뫼" in reason


def test_what_is_asked_or_pointed_at_names_nobody():
    # the owner after a determiner is what the question asks, a pronoun is nobody
    assert proper_nouns("어떤 사건의 여파로 인해 영국 정부는 불안에 민감하게 되었는가?") == ["영국"]
    assert proper_nouns("대신들은 자신들의 결정과 무엇을 의원들에게 보고하는가?") == []
    # nor are a word with a particle on it and a verb before the owner
    assert proper_nouns("다른 모두 후보들과의 일대일 대결에서 지는 후보를 이르는 말은?") == []
    assert proper_nouns("김경준이 귀국했을때 이명박의 지지율은 어느 정도였나?") == ["김경준", "이명박"]
    assert proper_nouns("가상시의 2019년 인구는 얼마인가?") == ["가상시"]


def test_a_name_misspelt_by_one_letter_is_found_as_written():
    from docagent.agent.verify import spelt_otherwise

    text = "벤저민해리슨은1888년에당선되었다.뉘르부르크링은독일의서킷이다.세바스찬베텔,김민서"
    assert spelt_otherwise("헤리슨", text) == "해리슨"  # a vowel
    assert spelt_otherwise("뉘르루르크링", text) == "뉘르부르크링"  # an initial consonant
    assert spelt_otherwise("세바스차", text) == "세바스찬"  # a final consonant
    # a person's name a letter apart is another person; two syllables are another word
    assert spelt_otherwise("김민수", text) is None
    assert spelt_otherwise("해리", "헤리") is None
    assert spelt_otherwise("허리슨", text) is None  # two letters of one syllable


def test_a_reading_under_a_misspelt_name_holds_and_says_how_it_was_read():
    from docagent.agent.evidence import Candidate
    from docagent.agent.state import Reading, SubQuestion
    from docagent.agent.verify import check
    from vlm.backends.base import CropInput

    text = "벤저민 해리슨은 1888년 대통령 선거에서 당선되었다."
    result = {"crop_id": "1", "bbox": [0, 0, 500, 100], "filename": "a.pdf", "page": 1,
              "document_id": "d", "kind": "text", "page_size": [600, 800]}
    c = Candidate(result, CropInput(text=text), "", 0)
    sub = SubQuestion(0, "벤저민 헤리슨 대통령 당선 년도는?")
    reading = Reading(0, text="1888년")
    assert check(reading, sub, c, numeric=False, document=text) == ""
    assert "'헤리슨'" in reading.note and "'해리슨'" in reading.note
    other = Reading(0, text="1888년")
    assert check(other, SubQuestion(0, "벤저민 허리손 대통령 당선 년도는?"), c, False, text).startswith(
        "허리손 is not named")


def test_a_name_is_found_under_its_gloss_or_the_country_s_full_name():
    from docagent.agent.verify import _in_document, document_key

    assert _in_document("송나라", document_key("위진남북조시대와 송(宋)나라 초기에 걸쳐"))
    assert _in_document("북한", document_key("2002년 조선민주주의인민공화국 최고인민회의"))
    assert _in_document("한국은", document_key("1987년 대한민국 대통령 선거"))
    assert not _in_document("일본", document_key("1987년 대한민국 대통령 선거"))


def test_a_name_the_ocr_model_cannot_write_is_found_as_a_scan_holds_it():
    from docagent.agent.verify import scanned_forms

    # Debian's kor model has no 뫼: OCR marks the square it cannot read (솔뫼군 is read 솔\ufffd 군)
    assert scanned_forms("솔뫼군", "솔뫼군의 2019년 정수장 수는?") == ["솔\ufffd군"]
    assert scanned_forms("솔뫼", "2016년 솔뫼군의 급수 인구는?") == ["솔\ufffd군"]  # the rest of the word
    assert scanned_forms("꽃뫼", "2001년 기준 꽃뫼 시립도서관의 소장 도서는?") == ["꽃\ufffd시립도서관"]
    assert scanned_forms("뫼", "뫼 는?") == []  # nothing of a name is left
    assert scanned_forms("한빛전자", "한빛전자의 매출은?") == []  # written as it is


def test_a_reading_from_a_scan_without_the_unwritable_syllable_holds_and_says_so():
    from docagent.agent.evidence import Candidate
    from docagent.agent.state import Reading, SubQuestion
    from docagent.agent.verify import check
    from vlm.backends.base import CropInput

    result = {"crop_id": "1", "bbox": [0, 0, 500, 100], "filename": "w.pdf", "page": 1,
              "document_id": "d", "kind": "table", "page_size": [600, 800]}
    scan = Candidate(result, CropInput(text="정수장 수 10곳"), "2019 상수도 사업 현황 · 솔\ufffd 군", 0)
    reading = Reading(0, text="10곳")
    assert check(reading, SubQuestion(0, "솔뫼군의 2019년 정수장 수는?"), scan, False, "") == ""
    assert "'솔\ufffd군'" in reading.note
    # a name that holds what is left of it is another entity, not this one misread
    haesol = Candidate(result, CropInput(text="정수장 수 4곳"), "2019 상수도 사업 현황 · 해솔군", 0)
    assert check(Reading(0, text="4곳"), SubQuestion(0, "솔뫼군의 2019년 정수장 수는?"), haesol, False, "") \
        .startswith("솔뫼군 is not named")
    other = Candidate(result, CropInput(text="정수장 수 7곳"), "2019 상수도 사업 현황 · 한내군", 0)
    refused = check(Reading(0, text="7곳"), SubQuestion(0, "솔뫼군의 2019년 정수장 수는?"), other, False, "")
    assert refused.startswith("솔뫼군 is not named")
    by_entity = SubQuestion(0, "솔뫼군의 2019년 정수장 수는?", entity="솔뫼군")
    assert check(Reading(0, text="10곳"), by_entity, scan, False, "") == ""
