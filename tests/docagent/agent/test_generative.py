"""A generative backend plans, reads and writes prose; its output goes through the same checks,
and whatever it gets wrong falls back to the rules: a valid answer object, never an exception.

Against a scripted OpenAI-compatible server (garbage, then a well-formed plan) and the tiny
random VARCO checkpoint (whose output is noise)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Request

from docagent.agent.state import Kind
from docagent.ask import ask
from vlm.backends.base import VLMBackend


class Script:
    def __init__(self) -> None:
        self.plan = "{not json"
        self.read = "<char>999,999</char><bbox>0.1, 0.1, 0.2, 0.2</bbox> 입니다"
        self.prose = "모르겠습니다."
        self.calls: list[str] = []
        self.images: list[tuple[int, int]] = []  # the size of each image a read was sent


def _app(script: Script) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        body = await request.json()
        content = body["messages"][-1]["content"]
        text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
        kind = "plan" if "Reply with JSON" in text else "prose" if "one-sentence" in text else "read"
        script.calls.append(kind)
        if kind == "read" and not isinstance(content, str):
            script.images += [_size(p["image_url"]["url"]) for p in content if p.get("type") == "image_url"]
        reply = {"plan": script.plan, "prose": script.prose, "read": script.read}[kind]
        return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    return app


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(_app(script), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", script
    server.should_exit = True
    thread.join(timeout=5)


def _size(data_url: str) -> tuple[int, int]:
    import base64
    import io

    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).size


def _openai(url: str) -> VLMBackend:
    from vlm.backends.openai_backend import OpenAIBackend

    return OpenAIBackend(base_url=url, model="m", max_retries=0, timeout=5.0)


def _number(text: str) -> str:
    m = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    return m.group(0) if m else ""


def test_model_garbage_falls_back_to_the_rules(collection, reports, scripted) -> None:
    url, script = scripted
    q = next(q for q in reports[1] if q.kind == "two-step")
    answer, steps = ask(collection, "default", "reports", q.text, backend=_openai(url))
    assert {"plan", "read", "prose"} <= set(script.calls)
    assert answer.answerable and _number(answer.answer) == q.answer, answer
    assert "999,999" not in answer.answer and answer.citations
    assert "(rules)" in steps[0].summary  # the unparseable plan was not used
    assert any("not in the crop" in r for s in steps if s.node == "verify" for r in s.detail["rejected"])
    assert "모르겠습니다." not in answer.reasoning  # prose without the number is not taken
    # ingest stored no crop image: each read was sent one drawn from the original
    assert script.images and all(w > 10 and h > 10 for w, h in script.images)


def test_a_well_formed_model_plan_is_used(collection, reports, scripted) -> None:
    url, script = scripted
    q = next(q for q in reports[1] if q.kind == "table")
    script.plan = ('{"kind": "lookup", "op": "none", "subquestions": [{"text": "' + q.text + '", "label": ""}]}')
    script.prose = f"답은 {q.answer}입니다."
    try:
        answer, steps = ask(collection, "default", "reports", q.text, backend=_openai(url))
    finally:
        script.plan, script.prose = "{not json", "모르겠습니다."
    assert "(model)" in steps[0].summary and steps[0].detail["kind"] == Kind.LOOKUP.value
    assert answer.answerable and _number(answer.answer) == q.answer
    assert answer.reasoning[-1] == f"답은 {q.answer}입니다."


class Broken(VLMBackend):
    name = "broken"

    def answer(self, requests):  # type: ignore[no-untyped-def]
        raise RuntimeError("CUDA error: device-side assert")

    def complete(self, prompts, max_new_tokens=256):  # type: ignore[no-untyped-def]
        raise TimeoutError("no reply")


def test_a_failing_backend_is_never_an_exception_out_of_ask(collection, reports) -> None:
    q = next(q for q in reports[1] if q.kind == "chart")
    answer, _ = ask(collection, "default", "reports", q.text, backend=Broken())
    assert answer.answerable and _number(answer.answer) == q.answer and answer.citations


def test_the_tiny_checkpoint_yields_a_valid_answer(collection, reports, tmp_path) -> None:
    from vlm.backends import get_backend
    from vlm.config import VLMConfig
    from vlm.tiny import build_tiny_checkpoint

    path = build_tiny_checkpoint(tmp_path / "tiny", seed=0)
    backend = get_backend("transformers", config=VLMConfig(model=str(path), dtype="float32", device_map="cpu",
                                                           local_files_only=True, max_new_tokens=8))
    for kind in ("table", "unanswerable"):
        q = next(q for q in reports[1] if q.kind == kind)
        answer, steps = ask(collection, "default", "reports", q.text, backend=backend)
        payload = answer.to_json()
        assert set(payload) >= {"answer", "reasoning", "citations", "answerable"}
        if kind == "table":
            assert answer.answerable and _number(answer.answer) == q.answer
        else:
            assert not answer.answerable
