"""What kind of name a candidate looks like: a person's, a place's, or a line of speech.

Kiwi tags every name NNP and says nothing of what it names, so "who" questions were answered
with countries and "where" questions with people. These cues come from the name itself and
the word after it: a Korean name is a common surname and one or two syllables (``임수경``), a
person is often followed by a title (``김황식 총리``); a place is a known country or region
or ends on a place suffix (``서울특별시``). A quoted string that ends like a sentence
(``"그렇게 해주시겠습니까?"``) is what someone said, not a title.
"""

from __future__ import annotations

import re

# The commonest Korean surnames (one syllable; two-syllable ones are rare enough to leave out).
SURNAMES = frozenset(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 심 노 "
    "하 곽 성 차 주 우 구 민 진 나 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 소 석 선 설 마 길 연 "
    "위 표 명 기 반 왕 금 옥 육 인 맹 제 모 탁 국 어 은 편 용 예 경 봉 사 부 가 복 태 목 형 피 두 "
    "감 음 빈 동 온 호 범 좌 팽 승 간 상 갈 시 견 당 화 창".split())
# Countries, continents and regions a text names as places more often than it names anything else.
PLACES = frozenset("""
미국 영국 프랑스 독일 일본 중국 러시아 이탈리아 스페인 캐나다 호주 오스트레일리아 브라질 아르헨티나
멕시코 인도 한국 대한민국 북한 조선 남한 베트남 태국 필리핀 인도네시아 말레이시아 싱가포르 네덜란드
벨기에 스위스 오스트리아 스웨덴 노르웨이 덴마크 핀란드 폴란드 체코 헝가리 그리스 터키 튀르키예
이집트 이란 이라크 이스라엘 사우디아라비아 시리아 요르단 레바논 아프가니스탄 파키스탄 우크라이나
포르투갈 아일랜드 스코틀랜드 잉글랜드 뉴질랜드 남아프리카 나이지리아 케냐 칠레 페루 콜롬비아
베네수엘라 쿠바 우루과이 파라과이 몽골 대만 홍콩 마카오 유럽 아시아 아프리카 북미 남미 중동
오세아니아 서울 부산 인천 대구 광주 대전 울산 제주 도쿄 오사카 베이징 상하이 런던 파리 뉴욕
워싱턴 로스앤젤레스 모스크바 베를린 로마 하와이 캘리포니아 텍사스 플로리다 시베리아 만주 유고슬라비아
소련 서독 동독 로마 제국 오스만 스웨덴 벨라루스 세르비아 크로아티아 루마니아 불가리아 카자흐스탄
""".split())
_PLACE_SUFFIXES = ("특별시", "광역시", "시", "도", "군", "구", "읍", "면", "동", "리", "주", "국", "섬",
                   "산", "강", "만", "해", "반도", "공항", "역", "항")
# Words that name a person's role right after the name: 김황식 총리, 박창훈 씨, 허도환 선수.
ROLES = frozenset("""
씨 군 양 옹 님 총리 대통령 장관 의원 시장 지사 군수 구청장 교수 박사 감독 선수 회장 사장 대표 위원장
총장 원장 국왕 왕 황제 장군 대사 기자 작가 변호사 검사 판사 후보 전 前 부총리 차관 비서관 단장
이사 이사장 주교 목사 신부 스님 작곡가 가수 배우 코치 주장 투수 타자 준장 소장 중장 대장 대령
""".split())
_HANGUL = re.compile(r"^[가-힣]+$")
_SPEECH_END = re.compile(r"(?:다|요|까|죠|네|라|자|니|나|오)[.?!…]*$|[?!]$")


def korean_name(surface: str) -> bool:
    """A Korean person's name: one word of three or four syllables led by a common surname
    (two syllables are as often a common noun: 정부, 이사)."""
    return bool(_HANGUL.match(surface)) and 3 <= len(surface) <= 4 and surface[0] in SURNAMES


def place_word(surface: str) -> bool:
    """A country, continent, region or city that the lexicon knows, or a name ending on a place
    suffix of two syllables or more (``경기도``, ``광주광역시``; not ``도`` alone)."""
    words = surface.split()
    if not words:
        return False
    if words[-1] in PLACES or surface in PLACES:
        return True
    last = words[-1]
    return bool(_HANGUL.match(last)) and len(last) >= 3 and last.endswith(_PLACE_SUFFIXES)


def role_after(after: str) -> bool:
    """Whether the text right after a candidate opens with a role word (``총리``, ``씨``)."""
    word = after.split(maxsplit=1)[0] if after.strip() else ""
    word = re.sub(r"(?:은|는|이|가|을|를|의|에게|와|과|도|로|으로)$", "", word)
    return word in ROLES


def speech(surface: str) -> bool:
    """A quoted string that ends like a sentence: what someone said, not a title."""
    s = surface.strip().strip("\"'“”‘’")
    return len(s.split()) >= 2 and bool(_SPEECH_END.search(s))
