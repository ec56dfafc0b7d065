"""``docagent db ...``: the database schema."""

from __future__ import annotations

import typer

db_app = typer.Typer(help="The database: schema migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the database, or bring it to the schema this docagent needs (Alembic head).

    Writers (ingest) migrate by themselves; searches only check, and say to run this.
    """
    from alembic.util.exc import CommandError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from docagent.cli.common import fail, load_settings
    from docagent.db.migrate import current_revision, upgrade_now

    url = load_settings().database_url
    where = make_url(url).render_as_string(hide_password=True)
    try:
        before = current_revision(url)
        upgrade_now(url)
        after = current_revision(url)
    except (CommandError, SQLAlchemyError, OSError) as exc:  # e.g. a revision newer than this code
        fail(f"cannot upgrade the database at {where}: {exc}")
    change = "already current" if before == after else f"upgraded from {before or 'nothing'}"
    typer.echo(f"database at {where}: revision {after} ({change})")
