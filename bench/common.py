"""Helpers shared by the benchmarks: an isolated DOCAGENT_HOME, timing, reporting."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DOCAGENT_SHARED_DATA", REPO.parent / "shared" / "data"))
OUT = REPO / "bench" / "out"


@contextmanager
def fresh_settings(**overrides) -> Iterator:
    """Settings rooted in a temporary DOCAGENT_HOME (SQLite, nothing shared with other runs)."""
    from docagent.settings import Settings

    with tempfile.TemporaryDirectory(prefix="docagent-bench-") as home:
        yield Settings(home=Path(home), **overrides)


@contextmanager
def timer() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_json(name: str, payload: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    return path


def table(headers: list[str], rows: list[list]) -> str:
    """A small markdown table (also readable on a terminal)."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda vals: "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])
