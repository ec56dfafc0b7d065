"""Helpers shared by CLI commands: settings with readable errors, failing cleanly."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from docagent.settings import Settings, get_settings


def fail(message: str, code: int = 2) -> NoReturn:
    Console(stderr=True).print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """The settings, or a one-line error per invalid DOCAGENT_* variable."""
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"DOCAGENT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        fail("invalid settings:\n  " + "\n  ".join(lines))
