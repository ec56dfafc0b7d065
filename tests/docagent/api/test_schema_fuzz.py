"""schemathesis against the OpenAPI schema: generated requests to every operation, with a
valid key and with none; no response may be a 5xx, and responses must match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from docagent.api.app import create_app
from docagent.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz")
    from fastapi.testclient import TestClient

    application = create_app(Settings(home=home, api_keys="acme:key-acme", rate_limit_per_minute=0,
                                      max_upload_mb=2, query_timeout_s=0.2))
    with TestClient(application) as c:  # runs the lifespan (database, keys)
        coll = c.post("/v1/collections", json={"name": "fuzz"},
                      headers={"Authorization": "Bearer key-acme"}).json()["id"]
        application.state.fuzz_collection = coll
        yield application


def test_no_operation_answers_5xx(app, monkeypatch):
    from hypothesis import given

    import docagent.tasks

    monkeypatch.setattr(docagent.tasks, "send", lambda *a: None)  # jobs stay queued
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    seen: list[tuple[str, str, int]] = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None, phases=[Phase.explicit, Phase.generate])
        def check(case) -> None:  # type: ignore[no-untyped-def]
            _aim(case, app.state.fuzz_collection)
            response = case.call(headers={"Authorization": "Bearer key-acme"})
            seen.append((case.method, case.path, response.status_code))
            assert response.status_code < 500, (case.method, case.formatted_path, response.status_code,
                                                response.text[:500])
            ctype = response.headers.get("content-type") or [""]
            if response.status_code >= 400 and "application/json" in str(ctype):
                assert set(response.json()["error"]) == {"code", "message"}, response.text

        check()
    assert {path for _, path, _ in seen} == {op.path for op in operations}
    assert any(200 <= status < 300 for _, _, status in seen)  # some cases got through


EXAMPLES = 40


def _aim(case, collection_id: str) -> None:  # type: ignore[no-untyped-def]
    """Half the cases that name a collection name the real one, so handlers run past the
    look-up; waits are kept short."""
    if isinstance(case.body, dict) and isinstance(case.body.get("timeout_s"), int | float):
        case.body["timeout_s"] = 0.2  # no worker answers here: a waited query would wait it out
    params = case.path_parameters or {}
    if "collection_id" in params and hash(repr(case.body)) % 2 == 0:
        params["collection_id"] = collection_id
