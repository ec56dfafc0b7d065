"""CPU seconds of this process and every process it started, pool workers included.

``os.times()`` counts this process and the children it has already reaped; long-lived pool
workers are neither, so their time is read from ``/proc/<pid>/stat`` while they live. A
worker's own figure there includes the children it reaped (Tesseract processes). When a
worker exits and is reaped, its time moves into this process's children figure, so the sum
stays continuous and the difference of two readings is the CPU spent between them.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds() -> float:
    """User + system seconds of this process, its reaped children and its live children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system + sum(
        _live_child_seconds(pid) for pid in _children(os.getpid()))


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread ended meanwhile
            continue
    return found


def _live_child_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process (0 if it has just gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return sum(int(f) for f in fields[11:15]) / _TICK
