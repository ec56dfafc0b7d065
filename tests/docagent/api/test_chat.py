"""OpenAI-compatible chat (POST /v1/chat/completions): the last user message asked of the
collection ``model`` names, answered by a query job (run here as a worker would), with the
same answer and citations as POST /v1/collections/{id}/query; streamed as chat.completion
chunks; the real ``openai`` client talks to it; bad requests in the error form."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.docagent.api.conftest import ACME, KEYS, OTHER, run_task

UNANSWERABLE = "화성 탐사선의 발사 비용은 얼마인가?"


@dataclass
class Service:
    client: TestClient
    annual_id: str
    other_id: str
    questions: list
    sent: list


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    import docagent.tasks
    from docagent.api.app import create_app
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings
    from vlm.synth.collections import template_collection

    settings = Settings(home=tmp_path_factory.mktemp("chat") / "home", api_keys=KEYS,
                        ingest_workers=1, rate_limit_per_minute=0)
    annual = template_collection("company_annual", n_documents=2, seed=7)
    ing = Ingestor(settings)
    job, _ = ing.submit("acme", "annual", [Upload(d.filename, d.pdf) for d in annual.documents])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    job, _ = ing.submit("other", "secret", [Upload(annual.documents[0].filename, annual.documents[0].pdf)])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    sent: list[tuple[str, str]] = []

    def send(settings, name, job_id):  # type: ignore[no-untyped-def]
        """The job runs to its end before the API polls it, as a quick worker would."""
        sent.append((name, job_id))
        run_task(settings, name, job_id)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(docagent.tasks, "send", send)
        with TestClient(create_app(settings)) as client:
            ids = {c["name"]: c["id"] for c in client.get("/v1/collections", headers=ACME).json()["collections"]}
            other = client.get("/v1/collections", headers=OTHER).json()["collections"][0]["id"]
            yield Service(client, ids["annual"], other, annual.questions, sent)


def _chat(service: Service, question: str | list, model: str = "annual", status: int = 200,
          headers: dict = ACME, **extra) -> dict:
    messages = [{"role": "system", "content": "You answer from documents."},
                {"role": "user", "content": "청운소프트는 어떤 회사인가?"},
                {"role": "assistant", "content": "소프트웨어 회사입니다."},
                {"role": "user", "content": question}]
    res = service.client.post("/v1/chat/completions", headers=headers,
                              json={"model": model, "messages": messages, **extra})
    assert res.status_code == status, res.text
    return res.json()


def _query(service: Service, question: str) -> dict:
    res = service.client.post(f"/v1/collections/{service.annual_id}/query", headers=ACME,
                              json={"question": question})
    assert res.status_code == 200, res.text
    return res.json()


def _answerable(service: Service) -> list:
    return [q for q in service.questions if q.kind in ("table", "document")][:2]


def test_chat_answers_with_the_citations_the_query_route_gives(service):
    for q in _answerable(service):
        reply = _chat(service, q.text, temperature=0.2, max_tokens=50)  # other fields ignored
        expected = _query(service, q.text)
        assert expected["answerable"] and expected["citations"]
        assert reply["object"] == "chat.completion" and reply["model"] == "annual"
        assert reply["id"].startswith("chatcmpl-") and isinstance(reply["created"], int)
        assert reply["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        choice = reply["choices"][0]
        assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
        assert reply["citations"] == expected["citations"] and reply["answerable"] is True
        content = choice["message"]["content"]
        assert content.startswith(expected["answer"])
        assert all(step in content for step in expected["reasoning"])
        for i, c in enumerate(expected["citations"], 1):
            assert f"[{i}] {c['filename']} p.{c['page']}" in content
        # the reply is the stored answer of a query job, run by the (stand-in) worker
        job_id = reply["id"].removeprefix("chatcmpl-")
        assert ("docagent.query", job_id) in service.sent
        job = service.client.get(f"/v1/jobs/{job_id}", headers=ACME).json()
        assert job["kind"] == "query" and job["status"] == "succeeded"
        assert job["result"]["answer"]["citations"] == reply["citations"]


def test_model_by_id_and_content_parts(service):
    q = _answerable(service)[0]
    by_name = _chat(service, q.text)
    parts = [{"type": "text", "text": q.text}, {"type": "image_url", "image_url": {"url": "x"}}]
    by_id = _chat(service, parts, model=service.annual_id)
    assert by_id["model"] == service.annual_id
    assert by_id["citations"] == by_name["citations"]
    assert by_id["choices"][0]["message"]["content"] == by_name["choices"][0]["message"]["content"]


def test_an_unanswerable_question_says_so_with_its_reason(service):
    reply = _chat(service, UNANSWERABLE)
    expected = _query(service, UNANSWERABLE)
    assert expected["answerable"] is False and reply["answerable"] is False
    content = reply["choices"][0]["message"]["content"]
    assert content.startswith("I cannot answer this from the collection: ")
    assert (expected.get("reason") or expected["answer"]) in content
    assert reply["citations"] == expected["citations"]


def _events(text: str) -> list:
    lines = [line for line in text.split("\n") if line.strip() and not line.startswith(":")]
    assert all(line.startswith("data: ") for line in lines), lines
    return [line[len("data: "):] for line in lines]


def test_streaming_sends_chunks_then_done(service):
    q = _answerable(service)[0]
    whole = _chat(service, q.text)
    with service.client.stream("POST", "/v1/chat/completions", headers=ACME, json={
            "model": "annual", "stream": True, "messages": [{"role": "user", "content": q.text}]}) as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        data = _events(res.read().decode())
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(chunks) == 2 and all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    first, last = chunks[0]["choices"][0], chunks[1]["choices"][0]
    assert first["delta"]["role"] == "assistant" and first["finish_reason"] is None
    assert first["delta"]["content"] == whole["choices"][0]["message"]["content"]
    assert last["delta"] == {} and last["finish_reason"] == "stop"
    assert chunks[1]["citations"] == whole["citations"] and chunks[1]["answerable"] is True


def test_the_openai_client_works_against_it(service):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url="http://testserver/v1", api_key="key-acme",
                           http_client=service.client, max_retries=0)
    q = _answerable(service)[0]
    expected = _query(service, q.text)
    reply = client.chat.completions.create(model="annual", messages=[{"role": "user", "content": q.text}])
    assert reply.choices[0].message.content.startswith(expected["answer"])
    assert reply.model_extra["citations"] == expected["citations"]
    stream = client.chat.completions.create(model="annual", stream=True,
                                            messages=[{"role": "user", "content": q.text}])
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": q.text}])


def test_unknown_or_foreign_models_are_not_found(service):
    q = _answerable(service)[0]
    before = len(service.sent)
    for model in ("nope", "secret", service.other_id):
        error = _chat(service, q.text, model=model, status=404)["error"]
        assert error["code"] == "not_found" and "collection" in error["message"]
    assert len(service.sent) == before  # no job was started
    # the other tenant reaches its own collection by name
    assert _chat(service, q.text, model="secret", headers=OTHER)["choices"][0]["message"]["content"]


@pytest.mark.parametrize("body, status", [
    ({"model": "annual", "messages": [{"role": "system", "content": "hi"}]}, 400),
    ({"model": "annual", "messages": [{"role": "assistant", "content": "hi"}]}, 400),
    ({"model": "annual", "messages": [{"role": "user", "content": "   "}]}, 400),
    ({"model": "annual", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, 400),
    ({"model": "annual", "messages": [{"role": "user", "content": "x" * 1001}]}, 400),
    ({"model": "annual", "messages": []}, 422),
    ({"model": "annual"}, 422),
    ({"messages": [{"role": "user", "content": "매출액은?"}]}, 422),
    ({"model": "annual", "messages": [{"content": "매출액은?"}]}, 422),
    ({"model": "annual", "messages": [{"role": "user", "content": 5}]}, 422),
    ({"model": "annual", "messages": "매출액은?"}, 422),
])
def test_bad_requests_are_answered_in_the_error_form(service, body, status):
    res = service.client.post("/v1/chat/completions", json=body, headers=ACME)
    assert res.status_code == status, res.text
    assert set(res.json()) == {"error"} and res.json()["error"]["message"]


def test_a_lone_surrogate_is_400_and_starts_no_job(service):
    before = len(service.sent)
    raw = '{"model": "annual", "messages": [{"role": "user", "content": "\\ud800"}]}'
    res = service.client.post("/v1/chat/completions", content=raw.encode(),
                              headers={**ACME, "content-type": "application/json"})
    assert res.status_code == 400 and res.json()["error"]["code"] == "bad_request"
    assert len(service.sent) == before


def test_chat_needs_a_key(service):
    res = service.client.post("/v1/chat/completions",
                              json={"model": "annual", "messages": [{"role": "user", "content": "hi"}]})
    assert res.status_code == 401 and res.json()["error"]["code"] == "unauthorized"


def test_no_answer_in_time_is_202_with_the_job_and_a_streamed_error(tmp_path, monkeypatch):
    """No worker picks the job up: the wait ends with 202 and the job (as the query route
    answers), which goes on; a stream, 200 already, ends with a timeout error."""
    import docagent.tasks
    from docagent.api.app import create_app
    from docagent.settings import Settings

    settings = Settings(home=tmp_path / "home", api_keys=KEYS, rate_limit_per_minute=0,
                        query_timeout_s=0.3)
    monkeypatch.setattr(docagent.tasks, "send", lambda *args: None)
    body = {"model": "empty", "messages": [{"role": "user", "content": "매출액은?"}]}
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/collections", json={"name": "empty"}, headers=ACME).status_code == 201
        res = client.post("/v1/chat/completions", json=body, headers=ACME)
        assert res.status_code == 202 and res.json()["job"]["status"] == "queued"
        job = client.get(f"/v1/jobs/{res.json()['job_id']}", headers=ACME).json()
        assert job["status"] == "queued" and job["kind"] == "query"
        with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}, headers=ACME) as res:
            data = _events(res.read().decode())
        assert json.loads(data[0])["error"]["code"] == "timeout" and data[-1] == "[DONE]"
