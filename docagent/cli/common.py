"""Helpers shared by CLI commands: settings with readable errors, failing cleanly, logging."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import NoReturn

import typer
from pydantic import ValidationError

from docagent.settings import Settings, get_settings

# Equal to docagent.catalog.DEFAULT_TENANT (a test checks it): the catalog loads SQLAlchemy,
# which a command answered by the warm process never needs.
DEFAULT_TENANT = "default"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def fail(message: str, code: int = 2) -> NoReturn:
    from rich.console import Console
    from rich.markup import escape

    # soft_wrap: paths and commands in a message stay whole for copying; the terminal wraps
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """The settings, or a one-line error per invalid DOCAGENT_* variable."""
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"DOCAGENT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        fail("invalid settings:\n  " + "\n  ".join(lines))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (test runners swap it)."""

    @property
    def stream(self):  # type: ignore[no-untyped-def, override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure_logging(verbose: bool) -> Callable[[], None]:
    """Warnings and errors on stderr, ours and libraries' alike; everything with ``verbose``.

    The level is set on the handler as well as the root logger: some libraries set their own
    logger's level (bm25s sets DEBUG at import), and records of such a logger reach the root's
    handlers whatever the root's level is. Returns a function that undoes this.
    """
    level = logging.DEBUG if verbose else logging.WARNING
    root = logging.getLogger()
    handler = _StderrHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    old_level, old = root.level, [h for h in root.handlers if isinstance(h, _StderrHandler)]
    for h in old:
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(old_level)

    return restore
