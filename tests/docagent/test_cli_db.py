"""Reads never migrate or create: a search checks the schema revision and says what to run."""

from __future__ import annotations

import sys

from sqlalchemy import func, select
from typer.testing import CliRunner

from docagent.cli.main import app
from docagent.db.migrate import alembic_head, current_revision, head_revision, upgrade_now
from docagent.db.models import Tenant
from docagent.db.session import session_scope

runner = CliRunner()


def test_head_revision_read_from_the_files_is_alembics_head():
    # A new migration needs nothing updated; if its file is not plain enough to read, this says so.
    assert head_revision() == alembic_head()


def test_the_check_does_not_load_alembic():
    import subprocess

    code = ("from docagent.db.migrate import head_revision; head_revision(); import sys; "
            "print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_search_on_a_fresh_home_fails_cleanly_and_creates_nothing(settings):
    res = runner.invoke(app, ["search", "--collection", "demo", "질문"])
    assert res.exit_code == 2
    assert "no database" in res.output and "docagent db upgrade" in res.output
    assert not (settings.home / "docagent.db").exists()


def test_search_creates_no_tenant(settings):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    res = runner.invoke(app, ["search", "--collection", "demo", "--tenant", "acme", "질문"])
    assert res.exit_code == 2 and "collection 'demo' does not exist" in res.output
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Tenant)) == 0


def test_old_revision_says_to_upgrade_and_db_upgrade_fixes_it(settings):
    upgrade_now(settings.database_url, "0001")
    res = runner.invoke(app, ["search", "--collection", "demo", "질문"])
    assert res.exit_code == 2
    assert "revision 0001" in res.output and "docagent db upgrade" in res.output
    assert current_revision(settings.database_url) == "0001"  # the search changed nothing

    res = runner.invoke(app, ["db", "upgrade"])
    assert res.exit_code == 0 and f"revision {head_revision()}" in res.output
    assert current_revision(settings.database_url) == head_revision()
    res = runner.invoke(app, ["search", "--collection", "demo", "질문"])
    assert res.exit_code == 2 and "collection 'demo' does not exist" in res.output
    assert "already current" in runner.invoke(app, ["db", "upgrade"]).output


def test_db_upgrade_creates_a_fresh_database(settings):
    res = runner.invoke(app, ["db", "upgrade"])
    assert res.exit_code == 0, res.output
    assert (settings.home / "docagent.db").exists()
    assert current_revision(settings.database_url) == head_revision()
