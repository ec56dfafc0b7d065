"""The openai backend against a small local server that speaks chat completions."""

from __future__ import annotations

import asyncio
import base64
import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

from tests.vlm.local_server import serving
from vlm.backends.base import CropInput, VisionRequest
from vlm.backends.openai_backend import OpenAIBackend
from vlm.errors import BackendRequestError, BackendUnavailableError

MODEL = "NCSOFT/VARCO-VISION-14B-HF"


@dataclass
class ServerState:
    """What the fake server saw, and how it should behave next."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to return, one per request
    delay: float = 0.0
    inflight: int = 0
    max_inflight: int = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def _check_shape(body: dict[str, Any]) -> tuple[list[str], str, Image.Image | None]:
    """Problems with a request, the user text, and the decoded image (if any)."""
    problems = []
    if body.get("model") != MODEL:
        problems.append(f"model {body.get('model')!r}")
    if body.get("temperature") != 0:
        problems.append(f"temperature {body.get('temperature')!r}")
    if body.get("stop") != ["<|im_end|>"]:
        problems.append(f"stop {body.get('stop')!r}")
    if body.get("skip_special_tokens") is not False:
        problems.append("skip_special_tokens not false")
    user = body["messages"][-1]
    if user.get("role") != "user":
        problems.append("last message is not the user's")
    content = user["content"]
    if isinstance(content, str):
        return problems, content, None
    kinds = [p["type"] for p in content]
    if kinds != ["image_url", "text"]:
        problems.append(f"content parts {kinds}")
    url = content[0]["image_url"]["url"]
    if not url.startswith("data:image/png;base64,"):
        problems.append("image is not a PNG data URL")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    text = content[1]["text"]
    if not text.startswith("<gro>\n"):
        problems.append(f"text without the grounding token: {text!r}")
    return problems, text, image


def _build_app(state: ServerState) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        state.requests.append(body)
        state.inflight += 1
        state.max_inflight = max(state.max_inflight, state.inflight)
        try:
            if state.delay:
                await asyncio.sleep(state.delay)
            if state.fail_next:
                status = state.fail_next.pop(0)
                return JSONResponse({"error": {"message": f"fake failure {status}"}}, status)
            problems, text, image = _check_shape(body)
            if problems:
                state.problems.extend(problems)
                return JSONResponse({"error": {"message": "; ".join(problems)}}, 400)
            if image is None:
                reply = f"PLAN: {text}"
            elif "unanswerable" in text:
                reply = "제공된 이미지로는 답변할 수 없습니다."
            else:
                question = text.removeprefix("<gro>\n")
                # the image's width tells which crop this call was about
                reply = (
                    f"{question} 답: <char>w{image.width}</char>"
                    "<bbox>0.1, 0.2, 0.5, 0.6<delim>0.6, 0.2, 0.9, 0.4</bbox> 입니다."
                )
            return JSONResponse({
                "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": MODEL,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })
        finally:
            state.inflight -= 1

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, ServerState]]:
    state = ServerState()
    with serving(_build_app(state)) as url:
        yield f"{url}/v1", state


@pytest.fixture
def state(server: tuple[str, ServerState]) -> ServerState:
    server[1].reset()
    return server[1]


def _backend(url: str, **kw: Any) -> OpenAIBackend:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 5.0)
    return OpenAIBackend(base_url=url, model=MODEL, **kw)


def _crop(width: int, height: int = 30) -> CropInput:
    return CropInput(image=Image.new("RGB", (width, height), "white"))


def test_answer_parses_text_and_boxes(server: tuple[str, ServerState], state: ServerState) -> None:
    backend = _backend(server[0])
    [ans] = backend.answer([VisionRequest("매출액은?", [_crop(64)])])
    assert state.problems == []
    assert ans.answerable
    assert ans.text == "매출액은? 답: w64 입니다."
    [ev] = ans.evidence
    assert ev.text == "w64" and ev.crop_index == 0
    assert [b.as_list(3) for b in ev.boxes] == [[0.1, 0.2, 0.5, 0.6], [0.6, 0.2, 0.9, 0.4]]
    assert "<bbox>" in ans.raw
    backend.close()
    backend.close()


def test_batch_keeps_order_and_runs_concurrently(
    server: tuple[str, ServerState], state: ServerState
) -> None:
    state.delay = 0.1
    backend = _backend(server[0], concurrency=3)
    questions = [f"질문 {i}" for i in range(7)]
    answers = backend.answer([VisionRequest(q, [_crop(40 + i)]) for i, q in enumerate(questions)])
    assert [a.text.split(" 답:")[0] for a in answers] == questions
    assert [a.evidence[0].text for a in answers] == [f"w{40 + i}" for i in range(7)]
    assert 1 < state.max_inflight <= 3
    assert all(r["max_tokens"] == 128 for r in state.requests)


def test_several_crops_one_call_each_merged_with_crop_index(
    server: tuple[str, ServerState], state: ServerState
) -> None:
    backend = _backend(server[0])
    req = VisionRequest("합계?", [_crop(50), CropInput(text="no image"), _crop(70)])
    [ans] = backend.answer([req])
    assert len(state.requests) == 2  # the crop without an image is not sent
    assert [(e.text, e.crop_index) for e in ans.evidence] == [("w50", 0), ("w70", 2)]
    assert ans.answerable and ans.text == "합계? 답: w50 입니다.\n합계? 답: w70 입니다."


def test_request_without_images_is_unanswerable_without_a_call(
    server: tuple[str, ServerState], state: ServerState
) -> None:
    [ans] = _backend(server[0]).answer([VisionRequest("q", [CropInput(text="t")])])
    assert not ans.answerable and ans.text == "" and ans.evidence == []
    assert state.requests == []


def test_refusal_is_not_answerable(server: tuple[str, ServerState], state: ServerState) -> None:
    [ans] = _backend(server[0]).answer([VisionRequest("unanswerable", [_crop(20)])])
    assert not ans.answerable and ans.evidence == []
    assert "답변할 수 없습니다" in ans.text


def test_large_images_are_downscaled(server: tuple[str, ServerState], state: ServerState) -> None:
    [ans] = _backend(server[0], max_image_side=100).answer([VisionRequest("q", [_crop(400, 200)])])
    assert ans.evidence[0].text == "w100"


def test_complete_sends_text_only(server: tuple[str, ServerState], state: ServerState) -> None:
    backend = _backend(server[0], system="Be brief.")
    assert backend.complete(["plan A", "plan B"], max_new_tokens=32) == [
        "PLAN: plan A", "PLAN: plan B",
    ]
    assert state.problems == []
    assert state.requests[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert state.requests[0]["max_tokens"] == 32


def test_retry_recovers_from_one_500(server: tuple[str, ServerState], state: ServerState) -> None:
    state.fail_next = [500]
    [ans] = _backend(server[0], max_retries=1).answer([VisionRequest("q", [_crop(30)])])
    assert ans.answerable and len(state.requests) == 2


def test_persistent_500_is_backend_unavailable(
    server: tuple[str, ServerState], state: ServerState
) -> None:
    state.fail_next = [500, 500]
    with pytest.raises(BackendUnavailableError) as info:
        _backend(server[0]).answer([VisionRequest("q", [_crop(30)])])
    assert info.value.status_code == 500
    assert info.value.url == server[0] + "/chat/completions"
    assert "fake failure 500" in str(info.value) and server[0] in str(info.value)


def test_bad_request_is_a_request_error(server: tuple[str, ServerState], state: ServerState) -> None:
    state.fail_next = [400]
    with pytest.raises(BackendRequestError, match="fake failure 400"):
        _backend(server[0]).complete(["x"])


def test_timeout_is_backend_unavailable(server: tuple[str, ServerState], state: ServerState) -> None:
    state.delay = 1.0
    with pytest.raises(BackendUnavailableError, match="no reply within 0.2 s"):
        _backend(server[0], timeout=0.2).complete(["x"])


def test_server_down_is_backend_unavailable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(BackendUnavailableError, match="cannot connect") as info:
        _backend(url).answer([VisionRequest("q", [_crop(30)]), VisionRequest("r", [_crop(31)])])
    assert url in str(info.value)


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        OpenAIBackend(concurrency=0)
    with pytest.raises(ValueError, match="timeout"):
        OpenAIBackend(timeout=0)
