"""Batching of concurrent calls: many threads (a worker's concurrent queries) each ask for a
few reads; the model is far better used by one batch than by many small calls.

A call waits at most ``window_s`` for others to join it, and a batch holds at most
``max_batch`` requests. Calls of different kinds (``answer``, and ``complete`` per token budget)
are batched separately. An error of the inner backend reaches every caller of that batch.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from vlm.backends.base import GroundedAnswer, VisionRequest, VLMBackend


@dataclass(slots=True, eq=False)
class _Pending:
    items: list
    future: Future = field(default_factory=Future)


class _Lane:
    """One queue of pending calls of one kind, flushed as a batch by whichever caller's window
    ends first (no background thread to manage)."""

    def __init__(self, run, window_s: float, max_batch: int) -> None:  # type: ignore[no-untyped-def]
        self.run, self.window_s, self.max_batch = run, window_s, max_batch
        self.cond = threading.Condition()
        self.pending: list[_Pending] = []
        self.batches = 0  # batches run so far (for tests and metrics)

    def call(self, items: list) -> list:
        mine = _Pending(list(items))
        with self.cond:
            self.pending.append(mine)
            self.cond.notify_all()
            self.cond.wait_for(lambda: mine.future.done() or self._size() >= self.max_batch,
                               timeout=self.window_s)
        while True:
            with self.cond:
                if mine.future.done():
                    break
                if not any(p is mine for p in self.pending):  # another caller is running it
                    self.cond.wait_for(mine.future.done)
                    break
                batch = self._take()  # oldest first: may be others' calls, then mine
            self._run(batch)
        return mine.future.result()

    def _size(self) -> int:
        return sum(len(p.items) for p in self.pending)

    def _take(self) -> list[_Pending]:
        """Up to ``max_batch`` items of pending calls, oldest first (one call is never split)."""
        batch, size = [], 0
        while self.pending and (not batch or size + len(self.pending[0].items) <= self.max_batch):
            call = self.pending.pop(0)
            batch.append(call)
            size += len(call.items)
        return batch

    def _run(self, batch: list[_Pending]) -> None:
        flat = [item for call in batch for item in call.items]
        try:
            out = self.run(flat)
        except BaseException as exc:
            for call in batch:
                call.future.set_exception(exc)
        else:
            i = 0
            for call in batch:
                call.future.set_result(out[i:i + len(call.items)])
                i += len(call.items)
        with self.cond:
            self.batches += 1
            self.cond.notify_all()


class BatchingBackend(VLMBackend):
    """``inner`` behind per-kind lanes; safe to call from many threads."""

    def __init__(self, inner: VLMBackend, window_s: float = 0.02, max_batch: int = 8) -> None:
        self.inner, self.name = inner, inner.name
        self.window_s, self.max_batch = window_s, max_batch
        self._answers = _Lane(inner.answer, window_s, max_batch)
        self._completions: dict[int, _Lane] = {}
        self._lock = threading.Lock()

    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        return self._answers.call(requests) if requests else []

    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        if not prompts:
            return []
        with self._lock:
            lane = self._completions.get(max_new_tokens)
            if lane is None:
                lane = self._completions[max_new_tokens] = _Lane(
                    lambda p, n=max_new_tokens: self.inner.complete(p, n), self.window_s, self.max_batch)
        return lane.call(prompts)

    @property
    def batches(self) -> int:
        return self._answers.batches + sum(lane.batches for lane in self._completions.values())

    def close(self) -> None:
        self.inner.close()
