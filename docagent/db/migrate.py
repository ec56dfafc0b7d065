"""Alembic migrations run programmatically, and the cheap check that reads run before a query.

Writers (ingest, ``docagent db upgrade``) migrate; readers only check, with one query, that
the database is at the head revision, and never create or change anything. Alembic itself is
imported only to migrate: loading it costs more than a search.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from docagent.db.session import get_engine
from docagent.errors import DocagentError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.M)


class DatabaseNotReadyError(DocagentError):
    """The database is missing or not at the schema this code needs; the message says what to run."""

    code = "database_not_ready"
    status = 503


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_now(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``, creating a SQLite file if needed."""
    from alembic import command

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    with get_engine(url).begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@lru_cache(maxsize=8)
def upgrade(url: str, revision: str = "head") -> None:
    """``upgrade_now``, cached so a writing process migrates once."""
    upgrade_now(url, revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    with get_engine(url).begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    upgrade.cache_clear()


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision, read from the ``revision`` and ``down_revision`` lines of the files
    in migrations/versions, so that a new migration needs no constant updated and the check no
    Alembic; Alembic decides when the files are not that plain. A test compares the two."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if rev is None or down is None:
            return alembic_head()
        revisions.add(rev.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else alembic_head()


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS}")
    return head


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    return None if u.database.startswith("file:") else Path(u.database)


def current_revision(url: str) -> str | None:
    """The revision the database is at; None when it has none. Creates nothing (a missing
    SQLite file is not connected to, which would create it)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    with get_engine(url).connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError:
            conn.rollback()
            if inspect(conn).has_table("alembic_version"):
                raise  # a real failure, not a database that was never migrated
            return None


def require_current(url: str) -> None:
    """Raise ``DatabaseNotReadyError`` unless the database is at the head revision."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseNotReadyError(
            f"there is no database at {path} yet: ingest documents first (docagent ingest), "
            "or create an empty one with: docagent db upgrade")
    found, head = current_revision(url), head_revision()
    if found != head:
        where = make_url(url).render_as_string(hide_password=True)
        raise DatabaseNotReadyError(
            f"the database at {where} is at revision {found or 'none'}, and this docagent needs "
            f"{head}: run docagent db upgrade")
