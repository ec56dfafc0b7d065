"""The evaluation on the generated set through an OpenAI-compatible server (a scripted one):
the same items the extractive backend and a local checkpoint are scored on."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request

from tests.vlm.local_server import serving
from vlm.backends import get_backend
from vlm.eval import EvalOptions
from vlm.eval.runner import evaluate_file
from vlm.eval.tasks import MCQ_INSTRUCTION
from vlm.synth.training_set import build_training_set


def _script(text: str) -> str:
    """Well-formed replies for every task, right or wrong."""
    if MCQ_INSTRUCTION in text:
        return "B"
    if text.strip() == "<ocr>":
        return "<char>표</char><bbox>0.1, 0.1, 0.2, 0.15</bbox>\n<char>2023년</char><bbox>0.3, 0.1, 0.4, 0.15</bbox>"
    if text.startswith("<gro>"):
        return "<obj>값</obj><bbox>0.1, 0.2, 0.5, 0.6</bbox>"
    return "3,450"


def _app(seen: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        body = await request.json()
        parts = body["messages"][-1]["content"]
        text = next(p["text"] for p in parts if p["type"] == "text")
        assert any(p["type"] == "image_url" for p in parts), "every item shows its image"
        seen.append(text)
        return {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": _script(text)}}]}

    return app


@pytest.fixture(scope="module")
def eval_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("set")
    build_training_set(out, n_documents=2, seed=3)
    return out / "eval.jsonl"


def test_openai_backend_scores_every_task(eval_file: Path) -> None:
    seen: list[str] = []
    with serving(_app(seen)) as url:
        backend = get_backend("openai", base_url=f"{url}/v1", model="varco", max_retries=0, timeout=10.0)
        report = evaluate_file(eval_file, backend, EvalOptions(circular=True))
        backend.close()
    tasks = {row.task: row for row in report.tasks}
    assert set(tasks) == {"mcq", "qa", "chart_qa", "grounding", "ocr"}
    assert sum(row.n for row in tasks.values()) == len(report.items) > 0
    # well-formed replies score full format marks, whatever their content
    assert tasks["mcq"].metrics["format"] == 1.0
    assert tasks["grounding"].metrics["format"] == 1.0
    assert tasks["ocr"].metrics["format"] == 1.0
    # "B" is right exactly for the items whose gold is B, in the plain order
    mcq = [it for it in report.items if it.task == "mcq"]
    assert tasks["mcq"].metrics["accuracy"] == pytest.approx(sum(it.gold == "B" for it in mcq) / len(mcq))
    assert tasks["mcq"].metrics["circular_accuracy"] == 0.0  # a constant letter fails a rotation
    assert len(seen) == len(report.items) + 3 * len(mcq)  # four rotations per multiple-choice item
