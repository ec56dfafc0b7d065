"""Shared fixtures: an isolated DOCAGENT_HOME per test, and a real PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PG_ADMIN_URL = os.environ.get("DOCAGENT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings rooted in a fresh temporary DOCAGENT_HOME (SQLite, no services)."""
    from docagent.settings import Settings, get_settings

    monkeypatch.setenv("DOCAGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCAGENT_INGEST_WORKERS", "1")
    monkeypatch.setenv("DOCAGENT_WARM_IDLE_S", "0")  # no warm server unless a test starts one
    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; skips when no server answers."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"docagent_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc.orig}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from docagent.db.session import get_engine

    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``: always there, so a test that needs it fails rather than skips."""
    assert SHARED_DATA.is_dir(), f"shared data not found at {SHARED_DATA}"
    return SHARED_DATA
