"""``docagent vlm``: the tiny checkpoint, backends chosen by setting, clear errors."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from docagent.cli.main import app

runner = CliRunner()
FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


@pytest.fixture
def sentence_png(tmp_path):
    font = ImageFont.truetype(FONT, 36)
    img = Image.new("RGB", (1100, 90), "white")
    ImageDraw.Draw(img).text((20, 20), "대한민국의 수도는 서울특별시이다.", font=font, fill="black")
    path = tmp_path / "crop.png"
    img.save(path)
    return path


def test_answer_with_extractive_backend_reads_the_image(settings, sentence_png):
    res = runner.invoke(app, ["vlm", "answer", str(sentence_png), "대한민국의 수도는 어디인가?", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["backend"] == "extractive" and out["answerable"]
    assert "서울" in out["answer"]
    assert out["boxes_px"] and all(0 <= v <= 1100 for b in out["boxes_px"] for v in b)


def test_tiny_checkpoint_then_transformers_backend(settings, sentence_png, tmp_path, monkeypatch):
    res = runner.invoke(app, ["vlm", "tiny", "--out", str(tmp_path / "tiny")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "tiny" / "config.json").exists()
    monkeypatch.setenv("DOCAGENT_VLM_BACKEND", "transformers")
    monkeypatch.setenv("DOCAGENT_VLM_MODEL", str(tmp_path / "tiny"))
    monkeypatch.setenv("DOCAGENT_VLM_DEVICE_MAP", "cpu")
    from docagent.settings import get_settings

    get_settings.cache_clear()
    res = runner.invoke(app, ["vlm", "answer", str(sentence_png), "수도는?", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["backend"] == "transformers" and isinstance(out["answer"], str)


@pytest.mark.parametrize(("backend", "message"), [("gpt", "DOCAGENT_VLM_BACKEND"), ("vllm", "docagent[gpu]")])
def test_bad_or_unavailable_backend_is_a_clear_error(settings, sentence_png, monkeypatch, backend, message):
    if backend == "vllm":
        try:
            import vllm  # noqa: F401

            pytest.skip("vllm is installed here")
        except ImportError:
            pass
    monkeypatch.setenv("DOCAGENT_VLM_BACKEND", backend)
    from docagent.settings import get_settings

    get_settings.cache_clear()
    res = runner.invoke(app, ["vlm", "answer", str(sentence_png), "질문"])
    assert res.exit_code == 2
    assert message in res.output


def test_answer_rejects_a_non_image(settings, tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    res = runner.invoke(app, ["vlm", "answer", str(bad), "질문"])
    assert res.exit_code == 2 and "cannot read" in res.output
