"""A small hand-made training set in the synthetic set's layout (images + the JSONL sources).

The train tests use it so that they check the recipe machinery on data whose every token is
known; the generated set is exercised by the recipe run over ``vlm.synth.training_set``.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

from vlm.synth.records import Conversation, Preference, Turn, write_jsonl

FACTS = [("매출액", "3,450억 원"), ("영업이익", "2,810억 원"), ("직원 수", "1,204명"),
         ("부채비율", "87.5%"), ("수출액", "912억 원"), ("연구개발비", "415억 원")]


def _image(path: Path, label: str, value: str, size: tuple[int, int]) -> None:
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle((10, 10, size[0] - 10, size[1] - 10), outline="black", width=2)
    d.text((30, 40), f"{label}: {value}", fill="black")
    im.save(path)


def write_small_set(root: Path, copies: int = 2) -> Path:
    """Captions, instructions, OCR, grounding, text-only, whole-page and preference sources."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    src: dict[str, list] = {k: [] for k in ("captions", "instruct", "ocr", "grounding", "text",
                                            "pages_hr", "preference")}
    for i, (label, value) in enumerate(FACTS * copies):
        name = f"images/{i:03d}.png"
        _image(root / name, label, value, (320, 200))
        page = f"images/page{i:03d}.png"
        _image(root / page, label, value, (600, 800))
        box = "<bbox>0.094, 0.2, 0.6, 0.3</bbox>"
        ask = Turn("human", f"<image>\n<gro>\n{label}은 얼마인가?")
        src["captions"].append(Conversation(f"c{i}", "caption", [
            Turn("human", "<image>\n이 이미지를 설명해 주세요."),
            Turn("gpt", f"{label}이 {value}라고 적힌 표 조각입니다.")], name, "captions"))
        src["instruct"].append(Conversation(f"q{i}", "qa", [
            ask, Turn("gpt", f"<char>{value}</char>{box}")], name, "instruct"))
        src["ocr"].append(Conversation(f"o{i}", "ocr", [
            Turn("human", "<image>\n<ocr>"), Turn("gpt", f"<char>{label}: {value}</char>{box}")],
            name, "ocr"))
        src["grounding"].append(Conversation(f"g{i}", "grounding", [
            Turn("human", f"<image>\n<gro>\n{label}의 위치를 알려주세요."),
            Turn("gpt", f"<obj>{label}</obj>{box}")], name, "grounding"))
        src["text"].append(Conversation(f"t{i}", "text", [
            Turn("human", f"{label}은 {value}이다. {label}은 얼마인가?"), Turn("gpt", value)],
            None, "text"))
        src["pages_hr"].append(Conversation(f"p{i}", "qa", [
            ask, Turn("gpt", f"<char>{value}</char>{box}")], page, "pages_hr"))
        src["preference"].append(Preference(f"d{i}", [ask], f"<char>{value}</char>{box}",
                                            f"<char>{value}</char>", "dropped_box", name, "preference"))
    for name, records in src.items():
        write_jsonl(root / f"{name}.jsonl", records)
    (root / "manifest.json").write_text(json.dumps({"hand_made": True}), encoding="utf-8")
    return root
